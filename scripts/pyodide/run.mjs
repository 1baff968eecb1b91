// Run the plain-module unit tests (tests/app) with pytest inside Pyodide on
// Node.js. Usage: node scripts/pyodide/run.mjs WHEEL_DIR [PYTEST_ARGS...]
// The project folder is mounted into Pyodide's file system with NODEFS, and
// pytest with its dependencies is installed from the local wheels in WHEEL_DIR
// by pyodide.loadPackage, so nothing is fetched from the network.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { loadPyodide } = await import(path.join(root, "node_modules/pyodide/pyodide.mjs"));

const [wheelDir, ...pytestArgs] = process.argv.slice(2);
if (!wheelDir) {
  console.error("usage: node scripts/pyodide/run.mjs WHEEL_DIR [PYTEST_ARGS...]");
  process.exit(2);
}
const wheels = readdirSync(wheelDir)
  .filter((name) => name.endsWith(".whl"))
  .map((name) => path.resolve(wheelDir, name));
if (wheels.length === 0) {
  console.error(`No wheels in ${wheelDir}; run \`make setup\` to download them.`);
  process.exit(2);
}

const pyodide = await loadPyodide();
// Raw writes keep pytest's progress dots on one line.
pyodide.setStdout({
  write(bytes) {
    process.stdout.write(bytes);
    return bytes.length;
  },
});
pyodide.setStderr({
  write(bytes) {
    process.stderr.write(bytes);
    return bytes.length;
  },
});
// The wheels are local files that the setup step pinned by version, and the
// lock file has no hashes for them, so there is nothing to check them against.
await pyodide.loadPackage(wheels, { checkIntegrity: false, messageCallback: () => {} });

const mountPoint = "/project";
pyodide.FS.mkdirTree(mountPoint);
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, mountPoint);

const runner = readFileSync(path.join(root, "scripts/pyodide/runner.py"), "utf8");
pyodide.runPython(runner, { filename: "runner.py" });
const main = pyodide.globals.get("main");
const status = main(mountPoint, pyodide.toPy(pytestArgs));
main.destroy();
process.exit(status);
