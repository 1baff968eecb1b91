"""Fixed English word lists: words never replaced and contraction expansions."""

from __future__ import annotations

# Function words, auxiliaries, modals, number words and very polysemous verbs. Their
# WordNet synonyms rarely fit ("can" -> "tin", "may" -> "May", "one" -> "unity"), so
# they are never replaced and never chosen as a synonym.
STOP_WORDS = frozenset(
    """
    a about above across after again against ago all almost along already also
    although always am among an and another any anybody anyone anything anyway
    anywhere are around as at away back be became because become becomes been
    before behind being below beneath beside besides between beyond both but by
    came can cannot come comes coming could did do does doing done down during each
    eight either else enough even ever every everybody everyone everything
    everywhere far few fifth first five for four fourth from further get gets
    getting give given gives go goes going gone got gotten had has have having he
    her here hers herself him himself his how however i if in indeed inside instead
    into is it its itself just last later least less let lets like likely made make
    makes making many may maybe me might mine more moreover most mostly much must
    my myself near nearly neither never next nine no nobody none nor not nothing
    now nowhere of off often on once one ones only onto or other others otherwise
    ought our ours ourselves out outside over own per perhaps put quite rather
    really said same say says second see seven several shall she should since six
    so some somebody someone something sometimes somewhat somewhere soon still such
    take taken takes than that the their theirs them themselves then there thereby
    therefore these they thing things third this those though three through
    throughout thus till to together too took toward towards two under unless until
    up upon us very via was way ways we well went were what whatever when whenever
    where whereas wherever whether which while who whoever whole whom whose why
    will with within without would yes yet you your yours yourself yourselves
    """.split()
)

# Words after which the next word is a noun or an adjective ("the", "my", "for"), or
# a verb ("will", "they"). Words with both readings ("that", "to") are left out.
NOMINAL_CUES = frozenset(
    """
    a an the my your his its our their every each of in on for with about from by
    at into onto over under between through during without within among
    """.split()
)
VERBAL_CUES = frozenset(
    """
    i we you they he she it will would can could should shall must might may
    don't doesn't didn't won't can't cannot
    """.split()
)

# Contractions that formal mode expands. A contraction with two readings keeps the
# more common one ("it's" -> "it is", not "it has"); "'d" (had or would) is never
# expanded.
CONTRACTIONS = {
    "aren't": "are not",
    "can't": "cannot",
    "couldn't": "could not",
    "could've": "could have",
    "didn't": "did not",
    "doesn't": "does not",
    "don't": "do not",
    "hadn't": "had not",
    "hasn't": "has not",
    "haven't": "have not",
    "he'll": "he will",
    "he's": "he is",
    "here's": "here is",
    "i'll": "I will",
    "i'm": "I am",
    "i've": "I have",
    "isn't": "is not",
    "it'll": "it will",
    "it's": "it is",
    "let's": "let us",
    "mightn't": "might not",
    "might've": "might have",
    "mustn't": "must not",
    "must've": "must have",
    "needn't": "need not",
    "shan't": "shall not",
    "she'll": "she will",
    "she's": "she is",
    "shouldn't": "should not",
    "should've": "should have",
    "that'll": "that will",
    "that's": "that is",
    "there's": "there is",
    "they'll": "they will",
    "they're": "they are",
    "they've": "they have",
    "wasn't": "was not",
    "we'll": "we will",
    "we're": "we are",
    "weren't": "were not",
    "we've": "we have",
    "what's": "what is",
    "where's": "where is",
    "who's": "who is",
    "won't": "will not",
    "wouldn't": "would not",
    "would've": "would have",
    "you'll": "you will",
    "you're": "you are",
    "you've": "you have",
}

# Words starting with a vowel letter but a consonant sound, and the reverse, for
# choosing between "a" and "an" before a replaced word.
CONSONANT_SOUND_PREFIXES = (
    "eu",
    "ewe",
    "one",
    "once",
    "ubiq",
    "uni",
    "urin",
    "use",
    "usu",
    "uter",
    "util",
    "uto",
)
VOWEL_SOUND_PREFIXES = ("heir", "honest", "honor", "honour", "hour")
