#!/usr/bin/env python3
"""Generate docs/api-python.md, the Python API reference, from the sources of
the tensor_ipc package: its docstrings and its type stubs (*.pyi).

    python3 tools/gen_api_docs.py           # rewrite docs/api-python.md
    python3 tools/gen_api_docs.py --check   # fail if docs/api-python.md is stale (test docs.api_python)
    PYTHONPATH=build/dev/bindings/python/pkg python3 tools/gen_api_docs.py --check --verify-import
                                            # also: every name public at run time is documented

Every module and subpackage under bindings/python/tensor_ipc/ whose name does
not start with "_" is documented, so new modules appear by running the first
command again. A module's public names are its ``__all__`` (the stub's when
there is one) or else its top-level names without a leading "_". Signatures
come from the stub when it declares the name, else from the source;
docstrings from the stub, else from the source. Nothing is imported: the
generator needs neither the built extension nor the optional dependencies.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import sys
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG_DIR = os.path.join(ROOT, "bindings", "python", "tensor_ipc")
PKG = "tensor_ipc"
OUT = os.path.join(ROOT, "docs", "api-python.md")
REGENERATE = "python3 tools/gen_api_docs.py"
WIDTH = 88  # longer signatures get one parameter per line


class Source:
    """One parsed file (.py or .pyi) of a module."""

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, encoding="utf-8") as f:
            self.text = f.read()
        self.tree = ast.parse(self.text, filename=path)
        self.lines = self.text.splitlines()

    def seg(self, node: Optional[ast.AST]) -> str:
        """The node as written (keeps 0o600, quotes and line breaks inside)."""
        if node is None:
            return ""
        text = ast.get_source_segment(self.text, node) or ast.unparse(node)
        return " ".join(part.strip() for part in text.splitlines())

    def comment_above(self, node: ast.AST) -> str:
        """The # comment lines right above a node."""
        out, i = [], node.lineno - 2
        while i >= 0 and self.lines[i].lstrip().startswith("#"):
            out.append(self.lines[i].lstrip()[1:].strip())
            i -= 1
        return " ".join(reversed(out))


class Module:
    def __init__(self, name: str, py: Optional[str], pyi: Optional[str]) -> None:
        self.name = name
        self.py = Source(py) if py else None
        self.pyi = Source(pyi) if pyi else None

    def sources(self) -> List[Source]:
        """Stub first: it is the declared API."""
        return [s for s in (self.pyi, self.py) if s is not None]

    def docstring(self) -> str:
        for s in (self.py, self.pyi):
            if s is not None and ast.get_docstring(s.tree):
                return ast.get_docstring(s.tree) or ""
        return ""

    def all_names(self) -> Optional[List[str]]:
        for s in self.sources():
            for node in s.tree.body:
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
                ):
                    try:
                        return list(ast.literal_eval(node.value))
                    except ValueError:
                        continue  # computed: try the other file
        return None

    def public_names(self) -> List[str]:
        names = self.all_names()
        if names is not None:
            return names
        seen: List[str] = []
        for s in self.sources():
            for node in s.tree.body:
                for name in defined_names(node):
                    if not name.startswith("_") and name not in seen:
                        seen.append(name)
        return seen

    def definitions(self, name: str) -> List[Tuple[Source, ast.AST]]:
        """Every top-level definition of name, stub first (overloads give several)."""
        for s in self.sources():
            found = [(s, n) for n in s.tree.body if name in defined_names(n)]
            if found:
                return found
        return []

    def imported_from(self, name: str) -> Optional[str]:
        """The dotted origin of a name this module imports (from X import name)."""
        for s in self.sources():
            for node in s.tree.body:
                if not isinstance(node, ast.ImportFrom):
                    continue
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        base = resolve(self.name, node.module, node.level, s.path)
                        return f"{base}.{alias.name}"
        return None


def defined_names(node: ast.AST) -> List[str]:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return [node.name]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def resolve(module: str, target: Optional[str], level: int, path: str) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not os.path.basename(path).startswith("__init__."):
        parts = parts[:-1]  # a plain module: "." is its package
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([target] if target else []))


def find_modules() -> List[Module]:
    mods: Dict[str, Dict[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(PKG_DIR):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
        rel = os.path.relpath(dirpath, PKG_DIR)
        if rel != "." and not {"__init__.py", "__init__.pyi"} & set(filenames):
            dirnames[:] = []  # not a package
            continue
        prefix = PKG if rel == "." else PKG + "." + rel.replace(os.sep, ".")
        for fn in sorted(filenames):
            stem, ext = os.path.splitext(fn)
            if ext not in (".py", ".pyi") or (stem.startswith("_") and stem != "__init__"):
                continue
            name = prefix if stem == "__init__" else f"{prefix}.{stem}"
            mods.setdefault(name, {})[ext] = os.path.join(dirpath, fn)
    return [Module(n, f.get(".py"), f.get(".pyi")) for n, f in sorted(mods.items())]


# ------------------------------------------------------------------ rendering


def anchor(dotted: str) -> str:
    return dotted.replace(".", "-").lower()


def md_doc(doc: str) -> str:
    """A docstring as Markdown: reST literal blocks (a paragraph ending in
    '::' and the indented lines after it) become fenced code."""
    lines, out, i = doc.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.rstrip().endswith("::"):
            out.append(line)
            continue
        text = line.rstrip()[:-1]
        if text.strip():
            out.append(text)
        block = []
        while i < len(lines) and (not lines[i].strip() or lines[i][:1] in " \t"):
            block.append(lines[i])
            i += 1
        while block and not block[0].strip():
            block.pop(0)
        while block and not block[-1].strip():
            block.pop()
        indent = min((len(b) - len(b.lstrip()) for b in block if b.strip()), default=0)
        out += ["", "```py"] + [b[indent:] for b in block] + ["```", ""]
    return "\n".join(out).strip()


def params(src: Source, args: ast.arguments, drop_first: bool) -> List[str]:
    out: List[str] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for i, (a, d) in enumerate(zip(positional, defaults)):
        if i == 0 and drop_first:
            continue
        out.append(arg_text(src, a, d))
        if args.posonlyargs and a is args.posonlyargs[-1]:
            out.append("/")
    if args.vararg:
        out.append("*" + arg_text(src, args.vararg, None))
    elif args.kwonlyargs:
        out.append("*")
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(arg_text(src, a, d))
    if args.kwarg:
        out.append("**" + arg_text(src, args.kwarg, None))
    return out


def arg_text(src: Source, a: ast.arg, default: Optional[ast.AST]) -> str:
    text = a.arg
    if a.annotation is not None:
        text += ": " + src.seg(a.annotation)
        if default is not None:
            text += " = " + src.seg(default)
    elif default is not None:
        text += "=" + src.seg(default)
    return text


def decorators(node: ast.AST) -> List[str]:
    return [ast.unparse(d) for d in getattr(node, "decorator_list", [])]


def signature(src: Source, node: ast.AST, in_class: bool) -> str:
    decs = decorators(node)
    kept = [d for d in decs if d in ("classmethod", "staticmethod", "overload")]
    head = "".join(f"@{d}\n" for d in kept)
    if isinstance(node, ast.ClassDef):
        bases = [src.seg(b) for b in node.bases] + [src.seg(k) for k in node.keywords]
        return head + f"class {node.name}" + (f"({', '.join(bases)})" if bases else "")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "property" in decs:
        ret = src.seg(node.returns) if node.returns is not None else "Any"
        return f"{node.name}: {ret}  # read-only property"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        drop = in_class and "staticmethod" not in decs
        ps = params(src, node.args, drop)
        ret = f" -> {src.seg(node.returns)}" if node.returns is not None else ""
        prefix = "async def " if isinstance(node, ast.AsyncFunctionDef) else "def "
        one = f"{prefix}{node.name}({', '.join(ps)}){ret}"
        if len(one) <= WIDTH:
            return head + one
        return head + f"{prefix}{node.name}(\n" + "".join(f"    {p},\n" for p in ps) + f"){ret}"
    if isinstance(node, ast.AnnAssign):
        value = f" = {src.seg(node.value)}" if node.value is not None else ""
        return f"{src.seg(node.target)}: {src.seg(node.annotation)}{value}"
    if isinstance(node, ast.Assign):
        return f"{', '.join(src.seg(t) for t in node.targets)} = {src.seg(node.value)}"
    return ast.unparse(node)


def attr_doc(body: List[ast.stmt], node: ast.stmt) -> str:
    """The string literal right after an attribute (the attribute docstring convention)."""
    i = body.index(node)
    if i + 1 < len(body):
        nxt = body[i + 1]
        if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(
            nxt.value.value, str
        ):
            return ast.get_docstring(ast.Module(body=[nxt], type_ignores=[])) or ""
    return ""


def doc_of(node: ast.AST, body: Optional[List[ast.stmt]] = None) -> str:
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return ast.get_docstring(node) or ""
    if body is not None:
        return attr_doc(body, node)  # type: ignore[arg-type]
    return ""


def is_documented_member(name: str) -> bool:
    return not name.startswith("_") or name == "__init__" or (
        name.startswith("__") and name.endswith("__")
    )


def class_members(mod: Module, cls_name: str) -> List[Tuple[str, List[Tuple[Source, ast.AST, List[ast.stmt]]]]]:
    """(member name, [(source, node, class body)...]) in stub order, then
    members only the source has; a member's nodes are the stub's if any."""
    order: List[str] = []
    per_src: Dict[str, Dict[str, List[Tuple[Source, ast.AST, List[ast.stmt]]]]] = {}
    for s in mod.sources():
        for top in s.tree.body:
            if isinstance(top, ast.ClassDef) and top.name == cls_name:
                for node in top.body:
                    for name in defined_names(node):
                        if name in ("__slots__",):
                            continue
                        per_src.setdefault(s.path, {}).setdefault(name, []).append(
                            (s, node, top.body)
                        )
                        if name not in order:
                            order.append(name)
    out = []
    for name in order:
        for s in mod.sources():
            if name in per_src.get(s.path, {}):
                out.append((name, per_src[s.path][name]))
                break
    return out


def member_doc(mod: Module, cls_name: str, name: str) -> str:
    """A member's docstring from whichever file has one (stub first)."""
    for s in mod.sources():
        for top in s.tree.body:
            if isinstance(top, ast.ClassDef) and top.name == cls_name:
                for node in top.body:
                    if name in defined_names(node):
                        d = doc_of(node, top.body)
                        if d:
                            return d
    return ""


def render_class(mod: Module, src: Source, node: ast.ClassDef, out: List[str]) -> None:
    dotted = f"{mod.name}.{node.name}"
    out += [f'<a id="{anchor(dotted)}"></a>', "", f"### class `{dotted}`", ""]
    out += ["```py", signature(src, node, False), "```", ""]
    doc = doc_of(node) or next(
        (ast.get_docstring(n) or "" for s in mod.sources() for n in s.tree.body
         if isinstance(n, ast.ClassDef) and n.name == node.name and ast.get_docstring(n)), "")
    if doc:
        out += [md_doc(doc), ""]
    members = [(n, nodes) for n, nodes in class_members(mod, node.name) if is_documented_member(n)]
    attrs = [(n, nodes) for n, nodes in members
             if isinstance(nodes[0][1], (ast.AnnAssign, ast.Assign))]
    if attrs:
        out += ["Attributes:", ""]
        for name, nodes in attrs:
            s, n, _body = nodes[0]
            doc = " ".join(md_doc(member_doc(mod, node.name, name)).split())
            out.append(f"- `{signature(s, n, True)}`" + (f": {doc}" if doc else ""))
        out.append("")
    for name, nodes in members:
        if isinstance(nodes[0][1], (ast.AnnAssign, ast.Assign)):
            continue
        doc = member_doc(mod, node.name, name)
        dunder = name.startswith("__") and name != "__init__"
        if dunder and not doc:
            continue  # protocol plumbing (__enter__, __eq__, ...) without a word to say
        sigs = []
        for s, n, _body in nodes:
            sig = signature(s, n, True)
            if sig not in sigs:
                sigs.append(sig)
        out += [f"#### `{node.name}.{name}`", "", "```py", "\n".join(sigs), "```", ""]
        if doc:
            out += [md_doc(doc), ""]


def defining(origin: Optional[str], modules: Dict[str, "Module"]) -> Optional[str]:
    """Follows re-exports (core.consumer imports tensor_ipc.TensorConsumer,
    core imports core.consumer's) to the module that defines the name."""
    for _ in range(10):
        if not origin or "." not in origin:
            return origin
        where, name = origin.rsplit(".", 1)
        mod = modules.get(where)
        if mod is None or mod.definitions(name):
            return origin
        nxt = mod.imported_from(name)
        if nxt is None:
            return origin
        origin = nxt
    return origin


def render_module(mod: Module, modules: Dict[str, Module], out: List[str]) -> None:
    out += [f'<a id="{anchor(mod.name)}"></a>', "", f"## `{mod.name}`", ""]
    files = [os.path.relpath(s.path, ROOT) for s in (mod.py, mod.pyi) if s is not None]
    out += ["Source: " + ", ".join(f"`{f}`" for f in files), ""]
    doc = mod.docstring()
    if doc:
        out += [md_doc(doc), ""]
    same, local = [], []
    for name in mod.public_names():
        defs = mod.definitions(name)
        if defs:
            local.append((name, defs))
            continue
        same.append((name, defining(mod.imported_from(name), modules)))
    if same:
        out += ["Also here, documented where they are defined:", ""]
        for name, origin in same:
            if origin and origin.rsplit(".", 1)[0] in modules:
                out.append(f"- `{name}`: [`{origin}`](#{anchor(origin)})")
            elif origin:
                out.append(f"- `{name}`: `{origin}`")
            else:
                out.append(f"- `{name}`")
        out.append("")
    for name, defs in local:
        src, node = defs[0]
        if isinstance(node, ast.ClassDef):
            render_class(mod, src, node, out)
            continue
        dotted = f"{mod.name}.{name}"
        kind = "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else "data"
        out += [f'<a id="{anchor(dotted)}"></a>', "", f"### {kind} `{dotted}`", ""]
        sigs = []
        for s, n in defs:
            sig = signature(s, n, False)
            if sig not in sigs:
                sigs.append(sig)
        out += ["```py", "\n".join(sigs), "```", ""]
        doc = next((doc_of(n, s.tree.body) for s in mod.sources() for n in s.tree.body
                    if name in defined_names(n) and doc_of(n, s.tree.body)), "")
        if doc:
            out += [md_doc(doc), ""]
    aliases = type_aliases(mod)
    if aliases:
        out += ["Type names used in the signatures above (the stub's aliases):", ""]
        for sig, comment in aliases:
            out.append(f"- `{sig}`" + (f": {comment}" if comment else ""))
        out.append("")


def type_aliases(mod: Module) -> List[Tuple[str, str]]:
    """The stub's private module-level aliases (_Tensor = Any, ...) with the
    comment above each."""
    if mod.pyi is None:
        return []
    out = []
    for node in mod.pyi.tree.body:
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.startswith("_") and not t.id.startswith("__")
            for t in node.targets
        ):
            out.append((signature(mod.pyi, node, False), mod.pyi.comment_above(node)))
    return out


def generate() -> str:
    modules = find_modules()
    by_name = {m.name: m for m in modules}
    out = [
        "<!-- Generated by tools/gen_api_docs.py from the docstrings and stubs of",
        "     bindings/python/tensor_ipc/. Do not edit by hand: change the sources,",
        f"     then run `{REGENERATE}` (the test docs.api_python checks it). -->",
        "",
        "# Python API reference",
        "",
        "The `tensor_ipc` package, module by module: every public class, function and",
        "attribute, with its signature (from the type stub where there is one) and its",
        "docstring. Guides: [guide-python.md](guide-python.md); coming from the original",
        "tensor-ipc: [migration.md](migration.md). Not covered: `tensor_ipc.capi` and",
        "`tensor_ipc._capi`, the SWIG-generated layer the package is built on (the C API",
        "one to one: [c/include/tensor_ipc.h](../c/include/tensor_ipc.h)), except `Frame`.",
        "",
        "Modules:",
        "",
    ]
    for m in modules:
        first = " ".join(m.docstring().split("\n\n")[0].split())
        first = first.split(". ")[0].rstrip(".") + "." if first else ""
        out.append(f"- [`{m.name}`](#{anchor(m.name)})" + (f": {first}" if first else ""))
    out.append("")
    for m in modules:
        render_module(m, by_name, out)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def verify_import(text: str) -> List[str]:
    """Names the imported package makes public that the reference lacks
    (a stub or AST blind spot): every non-private module's __all__, or its
    public classes and functions when it has none."""
    import importlib
    import inspect
    import pkgutil

    pkg = importlib.import_module(PKG)
    missing = []

    def unimportable(name: str) -> None:
        print(f"gen_api_docs.py: {name} not imported here ({sys.exc_info()[1]}); its "
              "run-time names are not cross-checked", file=sys.stderr)

    names = [PKG] + [m.name for m in pkgutil.walk_packages(pkg.__path__, PKG + ".",
                                                           onerror=unimportable)
                     if not any(p.startswith("_") for p in m.name.split(".")) and
                     m.name != PKG + ".capi"]
    for modname in names:
        try:
            mod = importlib.import_module(modname)
        except ImportError:  # an optional dependency (torch, rclpy, ...) absent here
            unimportable(modname)
            continue
        public = getattr(mod, "__all__", None)
        if public is None:
            public = [n for n, v in vars(mod).items() if not n.startswith("_") and
                      (inspect.isclass(v) or inspect.isfunction(v)) and
                      getattr(v, "__module__", "") == modname]
        if f"## `{modname}`" not in text:
            missing.append(f"module {modname}")
            continue
        section = text.split(f"## `{modname}`", 1)[1].split("\n## `", 1)[0]
        for n in public:
            if f"`{modname}.{n}`" not in section and f"- `{n}`" not in section:
                missing.append(f"{modname}.{n}")
    return missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with docs/api-python.md instead of writing it")
    ap.add_argument("--out", default=OUT, help="the file to write or check")
    ap.add_argument("--verify-import", action="store_true",
                    help="also import tensor_ipc (built, on PYTHONPATH) and fail if a "
                         "public name it has is missing from the reference")
    args = ap.parse_args()
    text = generate()
    if args.verify_import:
        missing = verify_import(text)
        if missing:
            print("gen_api_docs.py: public at run time but not in the reference (add them to "
                  "the stub or the module's __all__, then regenerate): " + ", ".join(missing),
                  file=sys.stderr)
            return 1
        print("gen_api_docs.py: every public name of the imported package is documented")
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                old = f.read()
        except OSError as e:
            old = ""
            print(f"gen_api_docs.py: cannot read {args.out}: {e}", file=sys.stderr)
        if old == text:
            print(f"gen_api_docs.py --check: {os.path.relpath(args.out, ROOT)} is up to date")
            return 0
        diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(),
                                         "committed", "generated", lineterm="", n=1))
        print(f"gen_api_docs.py --check: {os.path.relpath(args.out, ROOT)} is stale "
              f"({len(diff)} diff lines; the first 60):", file=sys.stderr)
        print("\n".join(diff[:60]), file=sys.stderr)
        print(f"Regenerate it with `{REGENERATE}` and commit it.", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
