#!/bin/sh
# Makes R's tfevents and wav ready for `make compat-r`. It checks that R, the R packages and the two
# sources are there, and builds each package into R_LIB when its source (or R) has changed since the
# last build.
#
#   sh tests/compat_r/prepare.sh R_LIB TFEVENTS_SRC WAV_SRC
#
# Exit 0: R_LIB is ready. Exit 3: something is missing, and one message says what and how to get it.
# Any other status: a build failed, and the end of its log is printed.
set -u
lib=$1
tfevents_src=$2
wav_src=$3

# tfevents' Imports, and tibble and tidyr, which its reader calls although they are only Suggests.
R_PACKAGES="Rcpp withr fs rlang vctrs blob png digest cli zeallot tibble tidyr"
APT="apt-get install --no-install-recommends r-base-core r-base-dev libprotobuf-dev protobuf-compiler \
pkg-config r-cran-rcpp r-cran-withr r-cran-fs r-cran-rlang r-cran-vctrs r-cran-blob r-cran-png \
r-cran-digest r-cran-cli r-cran-zeallot r-cran-tibble r-cran-tidyr"

missing=""
need_apt=""
need_src=""
note() { missing="${missing:+$missing; }$1"; }

if command -v Rscript >/dev/null 2>&1; then
    names=$(printf "'%s'," $R_PACKAGES)
    absent=$(Rscript -e "p <- c(${names%,}); cat(p[!nzchar(vapply(p, function(x) system.file(package = x), ''))])")
    if [ -n "$absent" ]; then
        note "the R packages $absent"
        need_apt=1
    fi
else
    note "Rscript (R itself)"
    need_apt=1
fi

is_source() {  # is_source NAME DIR: DIR holds the source of the R package NAME
    [ -n "$2" ] && [ -f "$2/DESCRIPTION" ] && grep -q "^Package: $1\$" "$2/DESCRIPTION"
}
if ! is_source tfevents "$tfevents_src"; then
    note "TFEVENTS_SRC, the source of R's tfevents (got '$tfevents_src')"
    need_src=1
fi
if ! is_source wav "$wav_src"; then
    note "WAV_SRC, the source of R's wav (got '$wav_src')"
    need_src=1
fi

fingerprint() {  # fingerprint DIR: changes when a file of DIR or R's version does
    {
        Rscript --version 2>&1
        (cd "$1" && find . -type f ! -path './.git/*' ! -name '*.o' ! -name '*.so' ! -name '*.dll' \
            -exec cksum {} + | LC_ALL=C sort)
    } | cksum
}

is_built() {  # is_built NAME SOURCE: R_LIB holds NAME built from SOURCE as it is now
    [ -d "$lib/$1" ] && [ -f "$lib/.stamp-$1" ] && [ "$(cat "$lib/.stamp-$1")" = "$(fingerprint "$2")" ]
}

if [ -z "$missing" ] && ! is_built tfevents "$tfevents_src"; then
    # Only building tfevents needs these: it compiles its protobuf messages.
    command -v protoc >/dev/null 2>&1 || { note "protoc (protobuf-compiler)"; need_apt=1; }
    if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists protobuf; then
        note "pkg-config and libprotobuf-dev"
        need_apt=1
    fi
fi

if [ -n "$missing" ]; then
    echo "compat-r: skipped, missing $missing."
    [ -n "$need_apt" ] && echo "  R and what the packages need (Debian, Ubuntu): $APT"
    [ -n "$need_src" ] && echo "  The sources: git clone https://github.com/mlverse/tfevents && git clone https://github.com/mlverse/wav," \
        "then: make compat-r TFEVENTS_SRC=tfevents WAV_SRC=wav"
    exit 3
fi

build() {  # build NAME SOURCE: install NAME into R_LIB from a copy of SOURCE, unless it is built already
    is_built "$1" "$2" && return 0
    echo "compat-r: building R's $1 from $2 into $lib"
    mkdir -p "$lib" || exit 1
    # A copy, because R CMD INSTALL writes its object files into the source it builds.
    work=$(mktemp -d) || exit 1
    cp -R "$2/." "$work/$1"
    jobs=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
    # MAKEFLAGS is set afresh: the one make passes down holds this Makefile's own variables.
    if MAKEFLAGS="-j$jobs" R CMD INSTALL --preclean --library="$lib" "$work/$1" >"$lib/build-$1.log" 2>&1; then
        fingerprint "$2" >"$lib/.stamp-$1"
        rm -rf "$work"
    else
        tail -n 40 "$lib/build-$1.log"
        echo "compat-r: building R's $1 failed; the whole log is $lib/build-$1.log"
        rm -rf "$work"
        exit 1
    fi
}

build wav "$wav_src"
build tfevents "$tfevents_src"
