#!/usr/bin/env node
// Run a MicroPython script under the official WebAssembly port
// (npm package @micropython/micropython-webassembly-pyscript).
//
//   node tests/mp/run_wasm.mjs [--heap BYTES] [--path DIR ...] [--copy DIR ...]
//                              SCRIPT.py [args...]
//
//   --heap BYTES  initial GC heap (suffix k/m allowed). Default 1m.
//                 The pyscript build uses a split heap that grows on demand
//                 (up to ~128 MiB more), so this is NOT a hard limit; use the
//                 unix port (`micropython -X heapsize=`) to test memory limits.
//   --path DIR    copy DIR into the in-memory FS and put it on sys.path
//                 (after the script's own directory, like MICROPYPATH).
//   --copy DIR    copy DIR into the in-memory FS only (data files).
//   MP_WASM_PKG   (environment) the package to load instead, e.g. an npm alias of an older version
//                 (package.json: micropython-webassembly-1.27, the oldest MicroPython supported).
//
// Facts about the package API this relies on (micropython.mjs, 1.29.0-6):
//   loadMicroPython({heapsize, pystack, stdout, stderr, linebuffer, ...})
//     resolves to {FS, runPython, pyimport, globals, ...}.
//   With linebuffer:false, stdout/stderr are called once per byte with a
//     1-byte Uint8Array (with linebuffer:true a final line without "\n" is lost).
//   FS is the Emscripten FS; only MEMFS is built in (no NODEFS), so files are
//     copied in. MicroPython's open()/import use that FS.
//   runPython throws a PythonError {type, message=traceback} on an uncaught
//     exception; here the script runs inside a Python wrapper instead, which
//     prints the traceback to stderr and maps SystemExit to an exit code,
//     mirroring the unix port.
// Directories are mirrored at the same absolute paths, so __file__-relative
// paths work; the working directory is mirrored too when it was copied.

import fs from "node:fs";
import path from "node:path";

const PKG = process.env.MP_WASM_PKG || "@micropython/micropython-webassembly-pyscript";
const SKIP_DIRS = new Set(["__pycache__", "node_modules", ".git", ".venv"]);

function usage(msg) {
  if (msg) process.stderr.write(`run_wasm: ${msg}\n`);
  process.stderr.write(
    "usage: node tests/mp/run_wasm.mjs [--heap BYTES] [--path DIR ...] " +
      "[--copy DIR ...] SCRIPT.py [args...]\n",
  );
  process.exit(2);
}

function parseSize(text) {
  const m = /^(\d+)([kKmM]?)$/.exec(text || "");
  if (!m) usage(`bad --heap value: ${text}`);
  const mult = { "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()];
  return parseInt(m[1], 10) * mult;
}

function parseArgs(argv) {
  const opts = { heap: 1024 * 1024, paths: [], copies: [], script: null, args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--heap") opts.heap = parseSize(argv[++i]);
    else if (a.startsWith("--heap=")) opts.heap = parseSize(a.slice(7));
    else if (a === "--path") opts.paths.push(argv[++i]);
    else if (a.startsWith("--path=")) opts.paths.push(a.slice(7));
    else if (a === "--copy") opts.copies.push(argv[++i]);
    else if (a.startsWith("--copy=")) opts.copies.push(a.slice(7));
    else if (a === "-h" || a === "--help") usage();
    else if (a === "--") { i++; break; }
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else break;
  }
  if (i >= argv.length) usage("no script given");
  opts.script = path.resolve(argv[i]);
  opts.args = argv.slice(i + 1);
  for (const d of [...opts.paths, ...opts.copies]) {
    if (d === undefined) usage("--path/--copy needs a directory");
  }
  opts.paths = opts.paths.map((d) => path.resolve(d));
  opts.copies = opts.copies.map((d) => path.resolve(d));
  return opts;
}

// Copy a host directory tree into the Emscripten FS at the same path.
// Returns the number of files copied.
function copyTree(FS, hostDir) {
  let count = 0;
  FS.mkdirTree(hostDir);
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const p = path.join(hostDir, ent.name);
    if (ent.isDirectory()) {
      if (!SKIP_DIRS.has(ent.name)) count += copyTree(FS, p);
    } else if (ent.isFile()) {
      FS.writeFile(p, fs.readFileSync(p));
      count += 1;
    }
  }
  return count;
}

// Byte sink for one output stream: buffers bytes, writes whole lines
// synchronously (keeps stdout/stderr ordering; nothing is lost on exit).
function makeSink(fd) {
  let buf = [];
  const flush = () => {
    if (buf.length) {
      fs.writeSync(fd, Uint8Array.from(buf));
      buf = [];
    }
  };
  const write = (bytes) => {
    for (const b of bytes) {
      buf.push(b);
      if (b === 10 || buf.length >= 8192) flush();
    }
  };
  return { write, flush };
}

// Python wrapper: runs the script as __main__, returns the exit status in
// the __main__ global _run_wasm_rc.
const WRAPPER = `
import sys
def _run_wasm(script, argv, path):
    sys.argv.clear()
    sys.argv.extend(argv)
    sys.path.clear()
    sys.path.extend(path)
    g = {"__name__": "__main__", "__file__": script}
    try:
        with open(script) as f:
            src = f.read()
        exec(compile(src, script, "exec"), g)
        return 0
    except SystemExit as e:
        code = e.args[0] if e.args else None
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException as e:
        sys.print_exception(e, sys.stderr)
        return 1
`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.script)) usage(`no such script: ${opts.script}`);

  let loadMicroPython;
  try {
    ({ loadMicroPython } = await import(PKG));
  } catch (e) {
    process.stderr.write(
      `run_wasm: cannot load ${PKG} (${e.code || e.message}); run \`npm ci\` in the repository root\n`,
    );
    return 2;
  }

  const out = makeSink(1);
  const err = makeSink(2);
  const mp = await loadMicroPython({
    heapsize: opts.heap,
    stdout: out.write,
    stderr: err.write,
    linebuffer: false,
  });

  const scriptDir = path.dirname(opts.script);
  const copied = new Set();
  for (const d of [scriptDir, ...opts.paths, ...opts.copies]) {
    if (copied.has(d)) continue;
    if (!fs.statSync(d, { throwIfNoEntry: false })?.isDirectory()) usage(`not a directory: ${d}`);
    copyTree(mp.FS, d);
    copied.add(d);
  }
  // The script itself, even if its directory held skipped names.
  mp.FS.writeFile(opts.script, fs.readFileSync(opts.script));
  const cwd = process.cwd();
  try {
    mp.FS.chdir(cwd);
  } catch {
    // cwd was not copied; relative paths resolve against "/".
  }

  // Same order as the unix port with MICROPYPATH: script dir, then paths.
  const sysPath = [scriptDir, ...opts.paths, ".frozen", "/lib"];
  const argv = [opts.script, ...opts.args];
  let rc;
  try {
    mp.runPython(WRAPPER);
    mp.globals.set("_run_wasm_args", JSON.stringify([opts.script, argv, sysPath]));
    mp.runPython("import json\n_run_wasm_rc = _run_wasm(*json.loads(_run_wasm_args))");
    rc = mp.globals.get("_run_wasm_rc");
  } catch (e) {
    // Only reached if the wrapper itself failed; print the message only
    // (a JS stack trace here would dump the minified package source).
    err.write(Buffer.from(`run_wasm: ${e.name}: ${e.message}\n`));
    rc = 1;
  }
  out.flush();
  err.flush();
  return typeof rc === "number" ? rc & 0xff : 1;
}

main().then(
  (rc) => {
    process.exitCode = rc;
  },
  (e) => {
    process.stderr.write(`run_wasm: ${e && e.message ? e.message : e}\n`);
    process.exitCode = 1;
  },
);
