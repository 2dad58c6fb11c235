"""pip build of the tensor_ipc Python package, self-contained.

``pip install ./bindings/python`` (add ``--no-build-isolation`` offline)
compiles everything into the one extension ``tensor_ipc._capi``:

* the SWIG wrapper of ``swig/tensor_ipc.i`` (module ``tensor_ipc.capi``),
* the hand-written Frame type (``bindings/python/src/tipc_frame.c``),
* the C library itself (``c/src/*.c``), statically, with every ``tipc_``
  symbol hidden so that it cannot clash with a ``libtensor_ipc.so`` loaded
  in the same process,
* the control-plane message code that Cyclone DDS's ``idlc`` generates from
  ``c/idl/tensor_ipc_msgs.idl``,

and links it against the system's Cyclone DDS (``ddsc``, found with
pkg-config), pthread and dl (the CUDA driver is loaded at run time). Build
tools needed: a C11 compiler, ``swig`` >= 4.0 and ``idlc`` (Debian:
build-essential swig cyclonedds-dev python3-dev pkg-config).
Python build requirements: setuptools only (``wheel`` is used when present;
a minimal built-in wheel writer stands in for it otherwise, so
``--no-build-isolation`` works with a bare setuptools).

The C, SWIG and IDL sources live outside this directory, in the repository
(two levels up). They are found, in this order, at ``$TENSOR_IPC_SOURCE_DIR``,
in ``_src/`` (where an sdist made by this file carries a copy of them), and
two directories above the real path of this file. Override the tools with
``$SWIG`` and ``$IDLC``. The build directory is ``$TENSOR_IPC_BUILD_DIR``, or
a private one in the temp directory (see build_base()), so that a build
leaves the source tree as it was.
"""

import base64
import csv
import glob
import hashlib
import io
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

from setuptools import Command, Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext
from setuptools.command.egg_info import egg_info as _egg_info
from setuptools.command.sdist import sdist as _sdist

HERE = os.path.dirname(os.path.realpath(os.path.abspath(__file__)))
PKG = "tensor_ipc"

# Source trees of the repository that the extension is built from (relative
# to the repository root); an sdist carries a copy of them in _src/.
VENDORED_TREES = ("c/include", "c/src", "c/idl", "swig", "bindings/python/src")


def _is_source_root(path):
    return all(
        os.path.isfile(os.path.join(path, f))
        for f in ("c/include/tensor_ipc.h", "swig/tensor_ipc.i", "c/idl/tensor_ipc_msgs.idl")
    )


def source_root():
    """The directory holding c/, swig/ and bindings/python/src/."""
    candidates = []
    env = os.environ.get("TENSOR_IPC_SOURCE_DIR")
    if env:
        candidates.append(os.path.abspath(env))
    candidates.append(os.path.join(HERE, "_src"))
    candidates.append(os.path.dirname(os.path.dirname(HERE)))
    for c in candidates:
        if _is_source_root(c):
            return c
    sys.exit(
        "tensor_ipc setup.py: cannot find the C sources (c/include/tensor_ipc.h, "
        "swig/tensor_ipc.i) in any of: " + ", ".join(candidates) + ". "
        "Build from the repository (pip install ./bindings/python), or set "
        "TENSOR_IPC_SOURCE_DIR to the repository root."
    )


ROOT = source_root()


def build_base():
    """Where the build goes: $TENSOR_IPC_BUILD_DIR, else a private directory
    in the temp dir keyed by this source tree (kept between builds, so they
    are incremental), so that building leaves the source tree clean. Falls
    back to ./build if that directory is not ours. --build-base overrides."""
    env = os.environ.get("TENSOR_IPC_BUILD_DIR")
    if env:
        return os.path.abspath(env)
    if os.path.isdir(os.path.join(HERE, "_src")):  # an unpacked sdist: a throwaway tree
        return os.path.join(HERE, "build")
    key = hashlib.sha1(HERE.encode()).hexdigest()[:10]
    path = os.path.join(tempfile.gettempdir(), f"tensor_ipc-build-{os.getuid()}-{key}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
        if st.st_uid == os.getuid() and stat.S_ISDIR(st.st_mode) and not st.st_mode & 0o022:
            return path
    except OSError:
        pass
    return os.path.join(HERE, "build")


BUILD_BASE = build_base()


def read_version():
    with open(os.path.join(ROOT, "c/include/tensor_ipc.h"), encoding="utf-8") as f:
        m = re.search(r'#define\s+TIPC_VERSION_STRING\s+"([^"]+)"', f.read())
    if not m:
        sys.exit("tensor_ipc setup.py: no TIPC_VERSION_STRING in c/include/tensor_ipc.h")
    return m.group(1)


def find_tool(env_name, names, hint):
    path = os.environ.get(env_name)
    if path:
        return path
    for n in names:
        found = shutil.which(n)
        if found:
            return found
    sys.exit(f"tensor_ipc setup.py: '{names[0]}' not found on PATH (set ${env_name}); {hint}")


def pkg_config(package):
    """(cflags, libs) of a pkg-config package, or None when unavailable."""
    exe = shutil.which(os.environ.get("PKG_CONFIG", "pkg-config"))
    if not exe:
        return None
    try:
        cflags = subprocess.check_output([exe, "--cflags", package], stderr=subprocess.DEVNULL)
        libs = subprocess.check_output([exe, "--libs", package], stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(cflags.decode()), shlex.split(libs.decode())


def stale(outputs, inputs):
    """True when an output is missing or older than an input."""
    try:
        oldest = min(os.path.getmtime(o) for o in outputs)
    except OSError:
        return True
    return any(os.path.getmtime(i) > oldest for i in inputs)


# Export header for a static build: CMake's generate_export_header writes the
# real one. The pip build compiles the library into the extension with
# TIPC_STATIC_DEFINE and -fvisibility=hidden, so TIPC_API is empty and the
# only exported symbol is PyInit__capi: no tipc_ symbol can interpose with (or
# be interposed by) a libtensor_ipc.so in the same process. Without
# TIPC_STATIC_DEFINE the header gives the shared-library meaning.
EXPORT_HEADER = """\
/* Generated by bindings/python/setup.py for the static build of the
 * extension tensor_ipc._capi (CMake generates the shared library's). */
#ifndef TIPC_API_H
#define TIPC_API_H
#ifdef TIPC_STATIC_DEFINE
#  define TIPC_API
#  define TIPC_NO_EXPORT
#else
#  ifndef TIPC_API
#    define TIPC_API __attribute__((visibility("default")))
#  endif
#  ifndef TIPC_NO_EXPORT
#    define TIPC_NO_EXPORT __attribute__((visibility("hidden")))
#  endif
#endif
#ifndef TIPC_DEPRECATED
#  define TIPC_DEPRECATED __attribute__((__deprecated__))
#endif
#ifndef TIPC_DEPRECATED_EXPORT
#  define TIPC_DEPRECATED_EXPORT TIPC_API TIPC_DEPRECATED
#endif
#ifndef TIPC_DEPRECATED_NO_EXPORT
#  define TIPC_DEPRECATED_NO_EXPORT TIPC_NO_EXPORT TIPC_DEPRECATED
#endif
#endif /* TIPC_API_H */
"""


class build_ext(_build_ext):
    """Generates the SWIG wrapper, the IDL message code and the export
    header, then compiles them with the C library into tensor_ipc._capi."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # 14 translation units: use the cores
            self.parallel = os.cpu_count() or 1

    def run(self):
        gen = os.path.abspath(os.path.join(self.build_temp, "tipc_gen"))
        os.makedirs(os.path.join(gen, PKG), exist_ok=True)
        generated = self.generate(gen)
        for ext in self.extensions:
            if ext.name == PKG + "._capi":
                ext.sources = generated + [os.path.join(ROOT, "bindings/python/src/tipc_frame.c")] + sorted(
                    glob.glob(os.path.join(ROOT, "c/src/*.c"))
                )
                ext.include_dirs = [gen, os.path.join(ROOT, "c/include"), os.path.join(ROOT, "c/src"),
                                    os.path.join(ROOT, "bindings/python/src")] + ext.include_dirs
                ext.depends = sorted(
                    glob.glob(os.path.join(ROOT, "c/include/*.h"))
                    + glob.glob(os.path.join(ROOT, "c/src/*.h"))
                    + glob.glob(os.path.join(ROOT, "bindings/python/src/*.h"))
                )
        super().run()
        # SWIG's Python half of the module goes next to the extension.
        dest = os.path.dirname(self.get_ext_fullpath(PKG + "._capi"))
        os.makedirs(dest, exist_ok=True)
        self.copy_file(os.path.join(gen, PKG, "capi.py"), os.path.join(dest, "capi.py"))

    def get_outputs(self):
        outs = super().get_outputs()
        return outs + [os.path.join(os.path.dirname(self.get_ext_fullpath(PKG + "._capi")), "capi.py")]

    def generate(self, gen):
        # Export header (written only when it changes, to keep timestamps).
        hdr = os.path.join(gen, "tensor_ipc_export.h")
        if not os.path.exists(hdr) or open(hdr, encoding="utf-8").read() != EXPORT_HEADER:
            with open(hdr, "w", encoding="utf-8") as f:
                f.write(EXPORT_HEADER)

        # Control-plane messages: idlc writes tensor_ipc_msgs.c/.h.
        idl = os.path.join(ROOT, "c/idl/tensor_ipc_msgs.idl")
        msgs_c = os.path.join(gen, "tensor_ipc_msgs.c")
        msgs_h = os.path.join(gen, "tensor_ipc_msgs.h")
        if self.force or stale([msgs_c, msgs_h], [idl]):
            idlc = find_tool("IDLC", ["idlc"], "install Cyclone DDS's IDL compiler (Debian: cyclonedds-dev)")
            self.spawn([idlc, "-o" + gen, idl])

        # The ROS 2 messages (c/idl/ros2, as c/CMakeLists.txt compiles them:
        # without type information, as ROS 2's rmw_cyclonedds_cpp).
        ros2_dir = os.path.join(ROOT, "c/idl/ros2")
        ros2_c = []
        for ros2_idl in sorted(glob.glob(os.path.join(ros2_dir, "*.idl"))):
            stem = os.path.splitext(os.path.basename(ros2_idl))[0]
            out_c, out_h = (os.path.join(gen, stem + ext) for ext in (".c", ".h"))
            ros2_c.append(out_c)
            if self.force or stale([out_c, out_h], glob.glob(os.path.join(ros2_dir, "*.idl"))):
                idlc = find_tool("IDLC", ["idlc"], "install Cyclone DDS's IDL compiler (Debian: cyclonedds-dev)")
                self.spawn([idlc, "-t", "-I", ros2_dir, "-o" + gen, ros2_idl])

        # SWIG wrapper: wrap.c here, capi.py in gen/tensor_ipc.
        iface = os.path.join(ROOT, "swig/tensor_ipc.i")
        wrap = os.path.join(gen, "tensor_ipcPYTHON_wrap.c")
        core_py = os.path.join(gen, PKG, "capi.py")
        inputs = (
            glob.glob(os.path.join(ROOT, "swig/*.i"))
            + glob.glob(os.path.join(ROOT, "swig/python/*.i"))
            + [os.path.join(ROOT, "c/include/tensor_ipc.h")]
        )
        if self.force or stale([wrap, core_py], inputs):
            swig = find_tool("SWIG", ["swig4.0", "swig"], "install SWIG >= 4.0 (Debian: swig)")
            # -fastproxy: as the CMake build (bindings/python/CMakeLists.txt)
            cmd = [swig, "-python", "-threads", "-fastproxy", "-I" + os.path.join(ROOT, "swig")]
            if sysconfig.get_config_var("SIZEOF_VOID_P") == 8 and sysconfig.get_config_var("SIZEOF_LONG") == 8:
                cmd.append("-DSWIGWORDSIZE64")  # int64_t is long on LP64
            cmd += ["-outdir", os.path.join(gen, PKG), "-o", wrap, iface]
            self.spawn(cmd)
        return [wrap, msgs_c] + ros2_c


def extension():
    define_macros = [("_GNU_SOURCE", None), ("TIPC_STATIC_DEFINE", None)]
    include_dirs, library_dirs, libraries, extra_compile, extra_link = [], [], [], [], []
    flags = pkg_config("CycloneDDS")
    if flags is None:
        flags = ([], ["-lddsc"])  # Debian's cyclonedds-dev puts everything in /usr
    cflags, libs = flags
    for f in cflags:
        if f.startswith("-I"):
            include_dirs.append(f[2:])
        elif f.startswith("-D"):
            name, _, value = f[2:].partition("=")
            define_macros.append((name, value or None))
        else:
            extra_compile.append(f)
    for f in libs:
        if f.startswith("-l"):
            libraries.append(f[2:])
        elif f.startswith("-L"):
            library_dirs.append(f[2:])
        else:
            extra_link.append(f)
    return Extension(
        PKG + "._capi",
        sources=[],  # filled in by build_ext once generated
        include_dirs=include_dirs,
        define_macros=define_macros,
        library_dirs=library_dirs,
        runtime_library_dirs=[d for d in library_dirs if d not in ("/usr/lib", "/lib")],
        libraries=libraries,
        extra_compile_args=extra_compile
        + [
            # gnu11, not c11: the ROS 2 bridge includes Cyclone's ddsi
            # headers, which use GNU asm (c/CMakeLists.txt gives those two
            # files -std=gnu11; one extension has one set of flags).
            "-std=gnu11",
            "-fvisibility=hidden",
            # SWIG's generated wrapper trips these; the CMake build checks
            # the project's own code with -Werror already.
            "-Wno-unused-parameter",
            "-Wno-missing-field-initializers",
        ],
        # dl: the CUDA driver is loaded at run time (dlopen is in libc from
        # glibc 2.34 on; -ldl keeps older C libraries linking, as CMake's
        # CMAKE_DL_LIBS does).
        extra_link_args=extra_link + ["-pthread", "-ldl"],
    )


class egg_info(_egg_info):
    """Keeps tensor_ipc.egg-info in the build directory rather than next to
    setup.py, unless a caller (pip's metadata step) chose a place."""

    def finalize_options(self):
        if self.egg_base is None:
            self.egg_base = BUILD_BASE
            os.makedirs(self.egg_base, exist_ok=True)
        super().finalize_options()


class sdist(_sdist):
    """An sdist that carries a copy of the repository's C/SWIG/IDL sources in
    _src/, so it builds away from the repository."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        for tree in VENDORED_TREES:
            src = os.path.join(ROOT, tree)
            dst = os.path.join(base_dir, "_src", tree)
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.o", "*.so"))


# ------------------------------------------------------------------ wheel
# setuptools < 70.1 needs the separate `wheel` package for bdist_wheel. Where
# it is missing (a bare pyenv/python.org interpreter used with
# --no-build-isolation), this minimal command writes the wheel instead: a
# platform wheel of build/lib with a .dist-info made from the egg-info.


def _wheel_tag():
    impl = "cp" if sys.implementation.name == "cpython" else sys.implementation.name[:2]
    py = f"{impl}{sys.version_info[0]}{sys.version_info[1]}"
    abi = py + (getattr(sys, "abiflags", "") or "")
    if sysconfig.get_config_var("Py_GIL_DISABLED") and not abi.endswith("t"):
        abi += "t"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return py, abi, plat


def _egg2dist(egg_info_dir, dist_info_dir):
    """A .dist-info (METADATA with Requires-Dist) from a .egg-info."""
    os.makedirs(dist_info_dir, exist_ok=True)
    with open(os.path.join(egg_info_dir, "PKG-INFO"), encoding="utf-8") as f:
        pkg_info = f.read()
    head, sep, body = pkg_info.partition("\n\n")
    requires = []
    req_file = os.path.join(egg_info_dir, "requires.txt")
    if os.path.exists(req_file):
        section = None
        with open(req_file, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line.startswith("["):
                    section = line.strip("[]")
                    continue
                if section:
                    extra, _, marker = section.partition(":")
                    cond = [f'extra == "{extra}"'] if extra else []
                    if marker:
                        cond.append(f"({marker})")
                    line += " ; " + " and ".join(cond)
                requires.append(line)
    lines = [ln for ln in head.splitlines() if not ln.startswith("Requires-Dist:")]
    lines += [f"Requires-Dist: {r}" for r in requires]
    with open(os.path.join(dist_info_dir, "METADATA"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + (sep + body if body else ""))
    top = os.path.join(egg_info_dir, "top_level.txt")
    if os.path.exists(top):
        shutil.copy2(top, os.path.join(dist_info_dir, "top_level.txt"))


class bdist_wheel_fallback(Command):
    description = "build a wheel (minimal stand-in for the 'wheel' package)"
    user_options = [
        ("dist-dir=", "d", "directory to put the wheel in"),
        ("bdist-dir=", "b", "temporary directory for the wheel's contents"),
    ]

    def initialize_options(self):
        self.dist_dir = None
        self.bdist_dir = None

    def finalize_options(self):
        self.dist_dir = self.dist_dir or "dist"
        if self.bdist_dir is None:
            self.bdist_dir = os.path.join(self.get_finalized_command("bdist").bdist_base, "wheel")

    # setuptools' dist_info command calls this on the bdist_wheel command.
    def egg2dist(self, egg_info_dir, dist_info_dir):
        _egg2dist(egg_info_dir, dist_info_dir)

    def run(self):
        self.run_command("build")
        build_lib = self.get_finalized_command("build").build_lib
        egg_info = self.get_finalized_command("egg_info")
        self.run_command("egg_info")
        name = self.distribution.get_name().replace("-", "_")
        version = self.distribution.get_version()
        if os.path.isdir(self.bdist_dir):
            shutil.rmtree(self.bdist_dir)
        self.copy_tree(build_lib, self.bdist_dir)
        dist_info = os.path.join(self.bdist_dir, f"{name}-{version}.dist-info")
        _egg2dist(egg_info.egg_info, dist_info)
        py, abi, plat = _wheel_tag()
        tag = f"{py}-{abi}-{plat}"
        with open(os.path.join(dist_info, "WHEEL"), "w", encoding="utf-8") as f:
            f.write(
                "Wheel-Version: 1.0\nGenerator: tensor_ipc setup.py\n"
                f"Root-Is-Purelib: false\nTag: {tag}\n"
            )
        os.makedirs(self.dist_dir, exist_ok=True)
        wheel_path = os.path.join(self.dist_dir, f"{name}-{version}-{tag}.whl")
        record_name = f"{name}-{version}.dist-info/RECORD"
        rows = []
        with zipfile.ZipFile(wheel_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for dirpath, dirnames, filenames in os.walk(self.bdist_dir):
                dirnames.sort()
                for fn in sorted(filenames):
                    full = os.path.join(dirpath, fn)
                    arc = os.path.relpath(full, self.bdist_dir).replace(os.sep, "/")
                    if arc == record_name or "__pycache__" in arc:
                        continue
                    with open(full, "rb") as f:
                        data = f.read()
                    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                    rows.append((arc, "sha256=" + digest.decode(), str(len(data))))
                    info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
                    info.external_attr = (os.stat(full).st_mode & 0o777 | 0o100000) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data)
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerows(rows + [(record_name, "", "")])
            zf.writestr(record_name, buf.getvalue())
        shutil.rmtree(self.bdist_dir)  # as bdist_wheel does: leave no staging tree behind
        self.announce(f"wrote {wheel_path}", 2)


cmdclass = {"build_ext": build_ext, "egg_info": egg_info, "sdist": sdist}
try:
    import wheel.bdist_wheel  # noqa: F401 - setuptools < 70.1 registers it from here
except ImportError:
    try:
        import setuptools.command.bdist_wheel  # noqa: F401 - setuptools >= 70.1
    except ImportError:
        cmdclass["bdist_wheel"] = bdist_wheel_fallback


setup(
    name="tensor-ipc",
    version=read_version(),
    description="Share fixed-shape tensors between processes through shared-memory pools",
    long_description=(
        "Zero-copy tensor pools between processes (numpy, torch), with a Cyclone DDS "
        "control plane. Python binding of the tensor-ipc C library, built from source."
    ),
    python_requires=">=3.9",
    install_requires=["numpy"],
    extras_require={"torch": ["torch"]},
    packages=[PKG, PKG + ".core", PKG + ".backends", PKG + ".rosext"],
    package_data={PKG: ["py.typed", "*.pyi"]},
    ext_modules=[extension()],
    cmdclass=cmdclass,
    options={"build": {"build_base": BUILD_BASE}},
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: C",
        "Operating System :: POSIX :: Linux",
        "Typing :: Typed",
    ],
)
