"""Print where a package for this interpreter goes under an install prefix,
relative to that prefix (so that `cmake --install --prefix P` puts it under P).

Debian's interpreters search PREFIX/local/lib/pythonX.Y/dist-packages for
/usr/local and PREFIX/lib/python3/dist-packages for /usr (the "posix_local"
and "deb_system" schemes); other interpreters (and venvs) use "posix_prefix":
lib/pythonX.Y/site-packages.

    python3 site_dir.py PREFIX
"""

import os
import sys
import sysconfig

prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
if "posix_local" in schemes and prefix.endswith("/local"):
    scheme, base = "posix_local", prefix[: -len("/local")] or "/"
elif "deb_system" in schemes and prefix == "/usr":
    scheme, base = "deb_system", prefix
else:
    scheme, base = "posix_prefix", prefix
path = sysconfig.get_path("platlib", scheme, vars={"base": base, "platbase": base})
print(os.path.relpath(path, prefix))
