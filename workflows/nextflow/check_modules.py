#!/usr/bin/env python3
"""Checks of the Nextflow modules that need no Nextflow (run by check.sh).

1. Every kmer2vec subcommand and --option that the modules' script/stub blocks, the
   version eval, nextflow.config's and the tests' ext.args use is in `kmer2vec <cmd> --help`.
2. Each module's `script:` block, taken from main.nf with its Groovy variables filled in by
   the mirror below, runs in a task folder on the bundled data; the outputs it declares
   appear, and its version `eval` prints the version. The `stub:` blocks likewise. Then the
   pipeline's route (embed; count per file, merge, train) with nextflow.config's ext.args.
3. meta.yml and environment.yml parse, and meta.yml names the inputs, outputs and topics
   of main.nf; the versions pinned in environment.yml, the containers and the recipe are
   the binary's.

The mirror: each `def` of a script/stub block is recorded here twice, as its Groovy text
(compared with main.nf, so that an edit there fails here until the mirror follows) and as
a Python function giving its value.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

FAILURES = []


def ok(msg):
    print(f"ok   {msg}")


def fail(msg):
    FAILURES.append(msg)
    print(f"FAIL {msg}")


# ---------------------------------------------------------------- main.nf parsing

SECTION = re.compile(r"^    (input|output|when|script|stub):\s*$", re.M)
QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
ELEMENT = re.compile(r"\b(val|path|eval|env|file)\(\s*(" + QUOTED + r"|[^,)]*)")


def unquote(text):
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    return text


def parse_module(path):
    src = open(path).read()
    name = re.search(r"^process\s+(\w+)\s*\{", src, re.M).group(1)
    marks = list(SECTION.finditer(src))
    sections = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else src.rstrip().rfind("}")
        sections[m.group(1)] = src[m.end():end]
    inputs = []
    for line in sections["input"].strip().splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            inputs.append([unquote(v) for _, v in ELEMENT.findall(line)])
    outputs = {}
    for line in sections["output"].strip().splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        emit = re.search(r"\bemit:\s*(\w+)", line).group(1)
        topic = re.search(r"\btopic:\s*(\w+)", line)
        outputs[emit] = {
            "elements": [(kind, unquote(v)) for kind, v in ELEMENT.findall(line)],
            "optional": bool(re.search(r"\boptional:\s*true", line)),
            "topic": topic.group(1) if topic else None,
        }
    blocks = {}
    for part in ("script", "stub"):
        body = sections[part]
        defs = [(m.group(1), " ".join(m.group(2).split()))
                for m in re.finditer(r"^\s*def\s+(\w+)\s*=\s*(.+?)\s*$", body, re.M)]
        shell = re.search(r'"""(.*?)"""', body, re.S).group(1)
        blocks[part] = {"text": body, "defs": defs, "shell": shell}
    return {"name": name, "src": src, "sections": sections, "inputs": inputs,
            "outputs": outputs, "blocks": blocks}


def render(groovy, namespace, where):
    """Fill a Groovy triple-quoted string's ${...} from namespace, then undo its escapes."""
    def sub(m):
        tok = m.group(0)
        if tok == "\\\\":
            return "\\"
        if tok == "\\$":
            return "$"
        key = tok[2:-1] if tok.startswith("${") else tok[1:]
        if key not in namespace:
            raise KeyError(f"{where}: no mirror for the Groovy variable {tok}")
        return str(namespace[key])
    return re.sub(r"\\\\|\\\$|\$\{[^}]*\}|\$[A-Za-z_][\w.]*", sub, groovy)


# ---------------------------------------------------------------- the mirror of the defs

def extension(c, v):
    a = v["args"]
    return "bin" if "word2vec-binary" in a else "txt" if "word2vec-text" in a else "parquet"


def k2c_guard(c, v):
    return [os.path.basename(p) for p in c["inputs"]]


D_ARGS = ("task.ext.args ?: ''", lambda c, v: c.get("ext_args") or "")
D_PREFIX = ('task.ext.prefix ?: "${meta.id}"', lambda c, v: c.get("ext_prefix") or c["meta"]["id"])
D_EXT = ("args.contains('word2vec-binary') ? 'bin' : args.contains('word2vec-text') ? 'txt' : 'parquet'",
         extension)
D_MEMORY = ("task.memory ? \"--memory ${(task.memory.toMega() * 9).intdiv(10)}M\" : ''",
            lambda c, v: f"--memory {c['memory_mb'] * 9 // 10}M" if c.get("memory_mb") else "")
D_INPUTS = ("(k2c instanceof List ? k2c : [k2c]).collect { it.name }", k2c_guard)

MIRROR = {
    "KMER2VEC_EMBED": {
        "script": {"args": D_ARGS, "prefix": D_PREFIX, "extension": D_EXT},
        "stub": {"args": D_ARGS, "prefix": D_PREFIX, "extension": D_EXT},
    },
    "KMER2VEC_COUNT": {
        "script": {"args": D_ARGS, "prefix": D_PREFIX, "memory": D_MEMORY},
        "stub": {"args": D_ARGS, "prefix": D_PREFIX},
    },
    "KMER2VEC_MERGE": {
        "script": {"args": D_ARGS, "prefix": D_PREFIX, "inputs": D_INPUTS},
        "stub": {"args": D_ARGS, "prefix": D_PREFIX},
    },
    "KMER2VEC_TRAIN": {
        "script": {"args": D_ARGS, "prefix": D_PREFIX, "extension": D_EXT},
        "stub": {"args": D_ARGS, "prefix": D_PREFIX, "extension": D_EXT},
    },
}


def check_mirror(mod):
    name = mod["name"]
    for part in ("script", "stub"):
        mirror = MIRROR[name][part]
        defs = mod["blocks"][part]["defs"]
        if [d for d, _ in defs] != list(mirror):
            fail(f"{name} {part}: defs {[d for d, _ in defs]} differ from the mirror's {list(mirror)}")
            continue
        bad = [d for d, groovy in defs if " ".join(mirror[d][0].split()) != groovy]
        for d in bad:
            fail(f"{name} {part}: `def {d} = {dict(defs)[d]}` is not the mirror's `{mirror[d][0]}`: update check_modules.py")
        if not bad:
            ok(f"{name} {part}: the mirror matches its {len(defs)} defs")


def evaluate(mod, part, ctx):
    v = {}
    for d, (_, fn) in MIRROR[mod["name"]][part].items():
        v[d] = fn(ctx, v)
    if mod["name"] == "KMER2VEC_MERGE" and part == "script" and f"{v['prefix']}.k2c" in v["inputs"]:
        raise ValueError("KMER2VEC_MERGE refuses an input named like its output")
    return v


# ---------------------------------------------------------------- kmer2vec's help

def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Cli:
    def __init__(self, exe):
        self.exe = exe
        top = run([exe, "--help"])
        self.top_help = top.stdout
        commands = top.stdout.split("Commands:")[1].split("Options:")[0]
        self.commands = {m.group(1) for m in re.finditer(r"^\s{2}(\w+)\s", commands, re.M)}
        self.helps = {}

    def help(self, sub):
        if sub not in self.helps:
            r = run([self.exe, sub, "--help"])
            self.helps[sub] = r.stdout if r.returncode == 0 else None
        return self.helps[sub]

    def options(self, sub):
        text = self.help(sub) if sub else self.top_help
        return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text or ""))


def check_options(cli, sub, text, where):
    """Every --option in text must be one of `kmer2vec <sub> --help`."""
    if sub not in cli.commands or cli.help(sub) is None:
        fail(f"{where}: `kmer2vec {sub}` is not a subcommand ({sorted(cli.commands)})")
        return
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))
    missing = sorted(used - cli.options(sub))
    if missing:
        fail(f"{where}: `kmer2vec {sub}` does not take {', '.join(missing)}")
    else:
        ok(f"{where}: `kmer2vec {sub}` takes {', '.join(sorted(used)) or '(no options used)'}")
    for value in sorted(set(re.findall(r"word2vec-(?:text|binary)", text))):
        if not re.search(rf"^\s*- {value}:", cli.help(sub), re.M):
            fail(f"{where}: `kmer2vec {sub} --format` has no value {value}")


# ---------------------------------------------------------------- config parsing

def braced(text, start):
    """The text of the {...} block whose '{' is at start."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise ValueError("unbalanced braces")


def config_selectors(path):
    """{selector: {'ext.args': groovy text, 'ext.prefix': ...}} of withName blocks."""
    text = re.sub(r"^\s*//.*$", "", open(path).read(), flags=re.M)
    out = {}
    for m in re.finditer(r"withName:\s*(['\"])(.+?)\1\s*\{", text):
        body = braced(text, m.end() - 1)
        entry = {}
        for key in ("ext.args", "ext.prefix"):
            km = re.search(rf"^\s*{re.escape(key)}\s*=\s*(.+?)\s*$", body, re.M)
            if km:
                entry[key] = km.group(1)
        out[m.group(2)] = entry
    return out


def config_params(path):
    text = open(path).read()
    m = re.search(r"^params\s*\{", text, re.M)
    params = {}
    for line in braced(text, m.end() - 1).splitlines():
        pm = re.match(r"^\s*(\w+)\s*=\s*(.+?)\s*(//.*)?$", line)
        if pm:
            value = pm.group(2)
            params[pm.group(1)] = None if value == "null" else unquote(value)
    return params


def groovy_value(expr, params, meta=None, module_args=None):
    """Value of a config ext.args / ext.prefix: a string, or a closure returning a (G)string."""
    expr = expr.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1].strip()
    m = re.fullmatch(r"params\.module_args\s*\?:\s*(" + QUOTED + ")", expr)
    if m:
        return module_args or unquote(m.group(1))
    if not re.fullmatch(QUOTED, expr):
        raise ValueError(f"cannot evaluate {expr!r}")
    namespace = {f"params.{k}": v for k, v in params.items()}
    if meta:
        namespace.update({f"meta.{k}": v for k, v in meta.items()})
    return render(expr[1:-1], namespace, expr) if expr.startswith('"') else expr[1:-1]


def selector_process(selector):
    m = re.search(r"KMER2VEC_[A-Z]+", selector)
    return m.group(0) if m else None


# ---------------------------------------------------------------- running a block

def brace_expand(pattern):
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    return [x for alt in m.group(1).split(",")
            for x in brace_expand(pattern[:m.start()] + alt + pattern[m.end():])]


def run_block(mod, part, ctx, workroot, version, label, expect=None, order=None, log=None):
    """Stage ctx['inputs'] into a task folder, run the block, check outputs and the version
    eval. order: strings that must appear in the command line in this order (the module's
    own option before ext.args' one); log: a regex that the run's stderr must match (that
    ext.args' value took effect). Returns {emit: [paths]} or None on failure."""
    name = mod["name"]
    task = tempfile.mkdtemp(prefix=f"{name.lower()}.{part}.", dir=workroot)
    staged = []
    for p in ctx["inputs"]:
        dst = os.path.join(task, os.path.basename(p))
        os.symlink(os.path.abspath(p), dst)
        staged.append(os.path.basename(p))
    try:
        v = evaluate(mod, part, ctx)
    except ValueError as e:
        fail(f"{label}: {e}")
        return None
    input_name = mod["inputs"][0][1]
    namespace = dict(v)
    namespace.update({"task.cpus": ctx["cpus"], "task.process": name, "meta.id": ctx["meta"]["id"],
                      input_name: " ".join(staged)})
    try:
        script = render(mod["blocks"][part]["shell"], namespace, f"{name} {part}")
    except KeyError as e:
        fail(e.args[0])
        return None
    with open(os.path.join(task, ".command.sh"), "w") as f:
        f.write(script)
    r = run(["bash", "-euo", "pipefail", ".command.sh"], cwd=task)
    command = " ; ".join(" ".join(line.split()) for line in script.replace("\\\n", " ").strip().splitlines())
    if order:
        at = 0
        for s in order:
            i = command.find(s, at)
            if i < 0:
                fail(f"{label}: the command does not have {' ... '.join(map(repr, order))} in this order: {command}")
                return None
            at = i + len(s)
    if r.returncode != 0:
        fail(f"{label}: exit {r.returncode}: {command}\n{r.stderr.strip()}")
        return None
    produced = {}
    for emit, out in mod["outputs"].items():
        patterns = [render(value, namespace, emit) for kind, value in out["elements"] if kind == "path"]
        if not patterns:
            continue
        files = sorted({f for pat in patterns for alt in brace_expand(pat)
                        for f in glob.glob(os.path.join(task, alt))
                        if os.path.basename(f) not in staged})
        produced[emit] = files
        if not files and not out["optional"]:
            fail(f"{label}: output `{emit}` ({', '.join(patterns)}) not produced")
    if log and not re.search(log, r.stderr):
        fail(f"{label}: its stderr does not match {log!r}: {r.stderr.strip()}")
    if expect:
        for emit, want in expect.items():
            got = [os.path.basename(f) for f in produced.get(emit, [])]
            if got != want:
                fail(f"{label}: output `{emit}` is {got}, expected {want}")
    for emit, out in mod["outputs"].items():
        evals = [value for kind, value in out["elements"] if kind == "eval"]
        for cmd in evals:
            e = run(["bash", "-euo", "pipefail", "-c", cmd], cwd=task)
            if e.returncode != 0 or e.stdout.strip() != version:
                fail(f"{label}: `{cmd}` printed {e.stdout.strip()!r} (exit {e.returncode}), expected {version!r}")
    summary = ", ".join(f"{k}: {' '.join(os.path.basename(f) for f in fs)}" for k, fs in produced.items() if fs)
    ok(f"{label}: `{command}` -> {summary}; version eval -> {version}")
    return produced


# ---------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nf-dir", default=here)
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--kmer2vec", default=shutil.which("kmer2vec"))
    ap.add_argument("--keep", action="store_true", help="keep the task folders")
    a = ap.parse_args()
    if not a.kmer2vec:
        sys.exit("check_modules.py: no kmer2vec on PATH")
    cli = Cli(a.kmer2vec)
    version = run([a.kmer2vec, "--version"]).stdout.splitlines()[0].split()[1]
    nf, repo = a.nf_dir, a.repo
    lambda_fa = os.path.join(repo, "examples/data/lambda_virus.fa.gz")
    reads_fq = os.path.join(repo, "tests/data/reads_1.fq")

    modules = {}
    for main_nf in sorted(glob.glob(os.path.join(nf, "modules/kmer2vec/*/main.nf"))):
        mod = parse_module(main_nf)
        mod["dir"] = os.path.dirname(main_nf)
        modules[mod["name"]] = mod
    want = {"KMER2VEC_EMBED", "KMER2VEC_COUNT", "KMER2VEC_MERGE", "KMER2VEC_TRAIN"}
    if set(modules) != want:
        fail(f"modules found: {sorted(modules)}, expected {sorted(want)}")
        return

    print("--- subcommands and options")
    for name, mod in modules.items():
        sub = os.path.basename(mod["dir"])
        text = mod["blocks"]["script"]["text"] + mod["blocks"]["stub"]["text"]
        called = re.findall(r"\bkmer2vec(?:\s|\\)+([a-z]+)\b", mod["blocks"]["script"]["shell"])
        if called != [sub]:
            fail(f"{name}: script block calls kmer2vec {called}, expected [{sub!r}]")
        check_options(cli, sub, text, f"{name} script/stub")
        for emit, out in mod["outputs"].items():
            for kind, value in out["elements"]:
                if kind == "eval":
                    words = value.split("|")[0].split()
                    if words[0] != "kmer2vec" or not set(words[1:]) <= cli.options(None):
                        fail(f"{name}: version eval `{value}` uses what `kmer2vec --help` lacks")
                    else:
                        ok(f"{name}: version eval `{value}` (top-level {' '.join(words[1:])})")
    configs = [os.path.join(nf, "nextflow.config")] + sorted(glob.glob(os.path.join(nf, "modules/kmer2vec/*/tests/nextflow.config")))
    params = config_params(os.path.join(nf, "nextflow.config"))
    for cfg in configs:
        rel = os.path.relpath(cfg, nf)
        for selector, entry in config_selectors(cfg).items():
            proc = selector_process(selector)
            if proc not in modules:
                fail(f"{rel}: withName '{selector}' matches no module")
                continue
            if "ext.args" in entry:
                check_options(cli, os.path.basename(modules[proc]["dir"]), entry["ext.args"], f"{rel} {proc} ext.args")
    for test in sorted(glob.glob(os.path.join(nf, "modules/kmer2vec/*/tests/main.nf.test"))):
        src = open(test).read()
        proc = re.search(r'^\s*process\s+"(\w+)"', src, re.M).group(1)
        for margs in re.findall(r"module_args\s*=\s*(" + QUOTED + ")", src):
            check_options(cli, os.path.basename(modules[proc]["dir"]), margs, f"{os.path.relpath(test, nf)} module_args")
        for data in re.findall(r'\$\{baseDir\}/\.\./\.\./([^"]+)"', src):
            if not os.path.exists(os.path.join(repo, data)):
                fail(f"{os.path.relpath(test, nf)}: test data {data} does not exist")

    print("--- meta.yml, environment.yml, containers, recipe")
    for name, mod in modules.items():
        rel = os.path.relpath(mod["dir"], nf)
        try:
            meta = yaml.safe_load(open(os.path.join(mod["dir"], "meta.yml")))
            env = yaml.safe_load(open(os.path.join(mod["dir"], "environment.yml")))
        except yaml.YAMLError as e:
            fail(f"{rel}: YAML: {e}")
            continue
        problems = []
        if meta.get("name") != name.lower():
            problems.append(f"name {meta.get('name')!r} is not {name.lower()!r}")
        yml_inputs = [[next(iter(el)) for el in channel] for channel in meta.get("input", [])]
        if yml_inputs != mod["inputs"]:
            problems.append(f"inputs {yml_inputs} != main.nf's {mod['inputs']}")
        yml_outputs = {emit: [[next(iter(el)) for el in ch] for ch in chans]
                       for emit, chans in (meta.get("output") or {}).items()}
        nf_outputs = {emit: [[v for _, v in out["elements"]]] for emit, out in mod["outputs"].items()}
        if yml_outputs != nf_outputs:
            problems.append(f"outputs {yml_outputs} != main.nf's {nf_outputs}")
        yml_topics = {t: [[next(iter(el)) for el in ch] for ch in chans]
                      for t, chans in (meta.get("topics") or {}).items()}
        nf_topics = {}
        for out in mod["outputs"].values():
            if out["topic"]:
                nf_topics.setdefault(out["topic"], []).append([v for _, v in out["elements"]])
        if yml_topics != nf_topics:
            problems.append(f"topics {yml_topics} != main.nf's {nf_topics}")
        for chans in list((meta.get("output") or {}).values()) + list((meta.get("topics") or {}).values()):
            for ch in chans:
                for el in ch:
                    (key, spec), = el.items()
                    if spec.get("type") == "file" and spec.get("pattern") != key:
                        problems.append(f"output {key!r}: pattern {spec.get('pattern')!r}")
        pins = [d for d in env.get("dependencies", []) if isinstance(d, str) and "kmer2vec" in d]
        if pins != [f"bioconda::kmer2vec={version}"]:
            problems.append(f"environment.yml pins {pins}, the binary is {version}")
        tags = re.findall(r"kmer2vec:([0-9][^-'\"]*)--", mod["src"])
        if not tags or set(tags) != {version}:
            problems.append(f"container tags {tags}, the binary is {version}")
        if problems:
            for p in problems:
                fail(f"{rel}: {p}")
        else:
            ok(f"{rel}: meta.yml (input {yml_inputs[0]}, outputs {', '.join(yml_outputs)}; topics {', '.join(yml_topics)}) "
               f"matches main.nf; environment.yml and containers pin {version}")
    recipe = os.path.join(repo, "recipe/meta.yaml")
    if os.path.exists(recipe):
        m = re.search(r'{%\s*set\s+version\s*=\s*"([^"]+)"', open(recipe).read())
        if not m or m.group(1) != version:
            fail(f"recipe/meta.yaml: version {m and m.group(1)!r}, the binary is {version}")
        else:
            ok(f"recipe/meta.yaml: version {version}")
    pipeline = open(os.path.join(nf, "main.nf")).read()
    includes = re.findall(r"^include\s*\{\s*(\w+)\s*\}\s*from\s*'([^']+)'", pipeline, re.M)
    for proc, where in includes:
        target = os.path.normpath(os.path.join(nf, where + ".nf"))
        if proc not in modules or os.path.normpath(os.path.join(modules[proc]["dir"], "main.nf")) != target:
            fail(f"main.nf: include {{ {proc} }} from '{where}' finds no such process")
    if sorted(p for p, _ in includes) != sorted(modules):
        fail(f"main.nf includes {sorted(p for p, _ in includes)}, the modules are {sorted(modules)}")
    else:
        ok(f"main.nf: includes the {len(includes)} modules from their folders")
    sheet = os.path.join(nf, "assets/samplesheet_test.csv")
    rows = [line.split(",") for line in open(sheet).read().split()[1:]]
    missing = [p for _, p in rows if not os.path.exists(os.path.join(os.path.dirname(sheet), p))]
    if missing:
        fail(f"assets/samplesheet_test.csv: missing {missing}")
    else:
        ok(f"assets/samplesheet_test.csv: its {len(rows)} files exist")

    print("--- the script and stub blocks, run")
    for mod in modules.values():
        check_mirror(mod)
    work = tempfile.mkdtemp(prefix="k2v-nf-check.")
    try:
        E, C, M, T = (modules[n] for n in ("KMER2VEC_EMBED", "KMER2VEC_COUNT", "KMER2VEC_MERGE", "KMER2VEC_TRAIN"))

        def test_args(mod, module_args=None):
            cfg = config_selectors(os.path.join(mod["dir"], "tests/nextflow.config"))
            return groovy_value(cfg[mod["name"]]["ext.args"], {}, module_args=module_args)

        def count_args_for(mod):
            cfg = config_selectors(os.path.join(mod["dir"], "tests/nextflow.config"))
            return groovy_value(cfg["KMER2VEC_COUNT"]["ext.args"], {})

        w2v_args = re.findall(r"module_args\s*=\s*(" + QUOTED + ")", open(os.path.join(E["dir"], "tests/main.nf.test")).read())
        base = {"meta": {"id": "test"}, "cpus": 2, "memory_mb": 6144}
        # module tests, as tests/main.nf.test and tests/nextflow.config set them up
        run_block(E, "script", dict(base, ext_args=test_args(E), inputs=[lambda_fa]), work, version,
                  "embed test 'lambda - fasta'", expect={"parquet": ["test.parquet"], "word2vec": []})
        run_block(E, "script", dict(base, ext_args=test_args(E, unquote(w2v_args[0])), inputs=[lambda_fa, reads_fq]),
                  work, version, "embed test 'word2vec-text'", expect={"parquet": [], "word2vec": ["test.txt"]})
        # ext.args that sets what the module passes itself: both are on the command line, the
        # module's first, and kmer2vec takes the last value of an option given more than once
        # (base's cpus are 2; the log line reports the threads used)
        run_block(E, "script", dict(base, ext_args="--threads 1 --tmp-dir . --k 5 --dim 8 --epochs 1 --format word2vec-binary",
                                    inputs=[lambda_fa]), work, version, "embed, ext.args with --threads/--tmp-dir",
                  expect={"parquet": [], "word2vec": ["test.bin"]},
                  order=["--threads 2", "--tmp-dir .", "--threads 1 --tmp-dir ."], log=r"\b1 threads\)")
        shards = []
        for sid, data in (("genome", lambda_fa), ("reads", reads_fq)):
            out = run_block(C, "script", dict(base, meta={"id": sid}, ext_args=count_args_for(M), inputs=[data]), work,
                            version, f"count test setup '{sid}'", expect={"k2c": [f"{sid}.k2c"]})
            shards += out["k2c"] if out else []
        run_block(C, "script", dict(base, ext_args="--k 4 --memory 64M --tmp-dir .", inputs=[lambda_fa]), work, version,
                  "count, ext.args with --memory/--tmp-dir", expect={"k2c": ["test.k2c"]},
                  order=[f"--memory {base['memory_mb'] * 9 // 10}M", "--tmp-dir .", "--memory 64M --tmp-dir ."])
        merged = run_block(M, "script", dict(base, ext_args=test_args(M), inputs=sorted(shards, key=os.path.basename)),
                           work, version, "merge test 'two shards'", expect={"k2c": ["test.k2c"]}) if len(shards) == 2 else None
        if merged:
            run_block(T, "script", dict(base, ext_args=test_args(T), inputs=merged["k2c"]), work, version,
                      "train test 'lambda - k2c'", expect={"parquet": ["test.parquet"], "word2vec": []})
            run_block(T, "script", dict(base, ext_args="-t 1 --dim 8 --updates 200000", inputs=merged["k2c"]), work, version,
                      "train, ext.args with -t", expect={"parquet": ["test.parquet"], "word2vec": []},
                      order=["--threads 2", "-t 1"], log=r"\b1 threads\)")
        k2c_stub_inputs = shards or [os.path.join(work, "none.k2c")]
        for mod, inputs, want in ((E, [lambda_fa], {"parquet": ["test.parquet"]}), (C, [lambda_fa], {"k2c": ["test.k2c"]}),
                                  (M, k2c_stub_inputs, {"k2c": ["test.k2c"]}), (T, k2c_stub_inputs[:1], {"parquet": ["test.parquet"]})):
            run_block(mod, "stub", dict(base, ext_args=test_args(mod) if mod is not C else count_args_for(M), inputs=inputs),
                      work, version, f"{mod['name'].lower()} stub", expect=want)

        # the pipeline's routes, with nextflow.config's ext.args and default params, on the
        # test samplesheet's sample (the genome and the reads)
        cfg = config_selectors(os.path.join(nf, "nextflow.config"))
        sample = {"id": rows[0][0]}
        files = [os.path.join(os.path.dirname(sheet), p) for _, p in rows]
        res = {"cpus": 2, "memory_mb": 6144}

        def cfg_ctx(proc, meta, inputs):
            entry = cfg[proc]
            ctx = dict(res, meta=meta, inputs=inputs, ext_args=groovy_value(entry["ext.args"], params, meta))
            if "ext.prefix" in entry:
                ctx["ext_prefix"] = groovy_value(entry["ext.prefix"], params, meta)
            return ctx

        run_block(E, "script", cfg_ctx("KMER2VEC_EMBED", sample, files), work, version,
                  "pipeline embed route", expect={"parquet": [f"{sample['id']}.parquet"]})
        counts = []
        for i, f in enumerate(files, 1):
            out = run_block(C, "script", cfg_ctx("KMER2VEC_COUNT", {"id": f"{sample['id']}_{i}"}, [f]), work, version,
                            f"pipeline counts route: count shard {i}")
            counts += out["k2c"] if out else []
        merged = run_block(M, "script", cfg_ctx("KMER2VEC_MERGE", sample, sorted(counts, key=os.path.basename)),
                           work, version, "pipeline counts route: merge",
                           expect={"k2c": [f"{sample['id']}.k2c"]}) if len(counts) == len(files) else None
        if merged:
            run_block(T, "script", cfg_ctx("KMER2VEC_TRAIN", sample, merged["k2c"]), work, version,
                      "pipeline counts route: train", expect={"parquet": [f"{sample['id']}.from_counts.parquet"]})
    finally:
        if a.keep:
            print(f"task folders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("\nall checks passed")
