# shellcheck shell=bash
# Sourced by the test scripts that need Cyclone DDS's own Python binding as an
# independent peer (tests/compat/run_orig_tests.sh, tests/ros2/peers_venv.sh):
# a venv with cyclonedds 0.10.2 built from its sdist against Debian 12's C
# library (the same version; the PyPI wheels bundle their own), cached under a
# work dir and stamped so a changed interpreter or pin rebuilds it.
#
# Layout under <work>: venv/, cyclonedds-home/ (Debian's files seen as a
# CYCLONEDDS_HOME), dl/ (the verified sdist). The sourcing script defines
# die <message> (prints and exits); cdds_venv_build calls it on failure.
# shellcheck disable=SC2015

CDDS_VERSION=0.10.2
CDDS_SDIST=cyclonedds-$CDDS_VERSION.tar.gz
CDDS_SHA256=f834962eabbdcdf4e9cd75cf87222f3c5ef22d9cb9e7ed651d9a8710fe984a30

sha_ok() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }

# cdds_venv_stamp <base python> <constraints file>: what the venv was built from.
cdds_venv_stamp() {
    printf 'python=%s cyclonedds=%s constraints=%s\n' \
        "$("$1" -c 'import sys; print(sys.version.split()[0])')" "$CDDS_SHA256" \
        "$(sha256sum "$2" | cut -c1-16)"
}

# cdds_venv_ok <work> <stamp file name> <stamp> <check code>: the cached venv
# matches the stamp and runs the check.
cdds_venv_ok() {
    local venv=$1/venv
    [[ -x $venv/bin/python && -f $venv/$2 ]] && [[ $(cat "$venv/$2") == "$3" ]] &&
        "$venv/bin/python" -c "$4" 2>/dev/null
}

# cdds_venv_build <work> <base python> <constraints file> <stamp file name>
#                 <stamp> <check code> [extra requirement...]
# (Re)creates <work>/venv (--system-site-packages: Debian's numpy, torch,
# pytest), installs cyclonedds and the extra requirements under the
# constraints, runs the check and writes the stamp.
cdds_venv_build() {
    local work=$1 base_py=$2 constraints=$3 stamp_file=$4 stamp=$5 check=$6
    shift 6
    local venv=$work/venv cdds_home=$work/cyclonedds-home triplet
    rm -rf "$venv" "$cdds_home"
    mkdir -p "$cdds_home" "$work/dl" || die "mkdir"
    # cyclonedds' setup.py wants <home>/{include,bin,lib/libddsc.so}; Debian has
    # /usr/include/dds, /usr/bin/idlc, /usr/lib/<triplet>/libddsc.so.
    triplet=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
    [[ -e /usr/lib/$triplet/libddsc.so && -e /usr/include/dds/dds.h ]] ||
        die "Cyclone DDS development files missing (apt-get install cyclonedds-dev cyclonedds-tools)"
    ln -s /usr/include "$cdds_home/include" && ln -s /usr/bin "$cdds_home/bin" &&
        ln -s "/usr/lib/$triplet" "$cdds_home/lib" || die "cyclonedds home"
    "$base_py" -m venv --system-site-packages "$venv" || die "python3 -m venv (apt-get install python3-venv)"
    if ! sha_ok "$work/dl/$CDDS_SDIST" "$CDDS_SHA256"; then
        rm -f "$work/dl/$CDDS_SDIST"
        CYCLONEDDS_HOME=$cdds_home "$venv/bin/pip" download -q --no-deps --no-binary :all: \
            -d "$work/dl" "cyclonedds==$CDDS_VERSION" || die "pip download cyclonedds==$CDDS_VERSION"
    fi
    sha_ok "$work/dl/$CDDS_SDIST" "$CDDS_SHA256" || die "$CDDS_SDIST: sha256 is not $CDDS_SHA256"
    CYCLONEDDS_HOME=$cdds_home "$venv/bin/pip" install -q --no-cache-dir \
        -c "$constraints" "$work/dl/$CDDS_SDIST" "$@" ||
        die "pip install cyclonedds${*:+ $*} (needs build-essential python3-dev)"
    "$venv/bin/python" -c "$check" || die "venv check"
    echo "$stamp" > "$venv/$stamp_file"
}
