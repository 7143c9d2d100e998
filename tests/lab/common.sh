# Helpers shared by tests/deps and the host-side lab scripts (bash, sourced).

# The kernels the lab boots, by series. 6.1 is Debian 12's, resolved with the
# host's own apt lists; 6.12 is Debian 13's (trixie), resolved with the lab's
# private apt state under the cache (lab_apt): the host's apt sources and dpkg
# database are never touched, and nothing from trixie is ever installed.
LAB_KERNELS_KNOWN="6.1 6.12"
LAB_KERNEL_DEFAULT=6.1

# lab_suite SERIES: the Debian suite that ships it; empty for the host's own.
lab_suite() {
	case $1 in
	6.1) echo "" ;;
	6.12) echo trixie ;;
	*)
		echo "lab: unknown kernel '$1' (known: $LAB_KERNELS_KNOWN)" >&2
		return 1
		;;
	esac
}

# lab_apt SUITE apt-get|apt-cache ARGS...: apt on the host's lists when SUITE
# is empty, else on SUITE's own sources.list, lists, cache and an empty dpkg
# status, all in the lab cache (apt/SUITE/).
lab_apt() {
	local suite=$1 tool=$2 d
	shift 2
	if [ -z "$suite" ]; then
		"$tool" "$@"
		return
	fi
	d=$(lab_cache_dir)/apt/$suite
	"$tool" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts="$d/empty" \
		-o Dir::Etc::preferences="$d/empty/none" -o Dir::Etc::preferencesparts="$d/empty" \
		-o Dir::State::Lists="$d/lists" -o Dir::State::status="$d/status" \
		-o Dir::Cache="$d/cache" -o APT::Sandbox::User=root -o Acquire::Languages=none \
		"$@"
}

# lab_apt_lists SUITE: SUITE's private lists, fetched when missing or a day
# old (the versioned kernel package moves with point releases and security
# updates). The host's archive keyring signs both Debian 12 and 13.
lab_apt_lists() {
	local suite=$1 d mirror=${VNVME_LAB_MIRROR:-http://deb.debian.org}
	local key=/usr/share/keyrings/debian-archive-keyring.gpg
	d=$(lab_cache_dir)/apt/$suite
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/empty"
	[ -e "$d/status" ] || : >"$d/status"
	printf 'deb [signed-by=%s] %s/%s %s main\n' \
		"$key" "$mirror" debian "$suite" \
		"$key" "$mirror" debian "$suite-updates" \
		"$key" "$mirror" debian-security "$suite-security" >"$d/sources.list"
	# apt keeps an unchanged list's old date: a stamp tells the last update.
	if [ -z "$(find "$d/updated" -mmin -1440 2>/dev/null)" ]; then
		echo "lab: fetching Debian $suite's package lists" >&2
		lab_apt "$suite" apt-get -q=2 update >&2 || {
			echo "lab: apt-get update for $suite failed" >&2
			return 1
		}
		touch "$d/updated"
	fi
}

# lab_kernel_version [SERIES]: the versioned kernel that SERIES's suite ships
# as linux-image-amd64 (default 6.1). Resolved at run time: it moves.
lab_kernel_version() {
	local series=${1:-$LAB_KERNEL_DEFAULT} suite pkg
	suite=$(lab_suite "$series") || return 1
	[ -z "$suite" ] || lab_apt_lists "$suite" || return 1
	pkg=$(lab_apt "$suite" apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		echo "lab: cannot resolve linux-image-amd64's kernel version for $series (apt lists missing? run apt-get update)" >&2
		return 1
	fi
	case $pkg in
	"$series".*) printf '%s\n' "$pkg" ;;
	*)
		echo "lab: linux-image-amd64 (${suite:-host}) is $pkg, not a $series kernel" >&2
		return 1
		;;
	esac
}

lab_cache_dir() {
	printf '%s\n' "${VNVME_LAB_CACHE:-$HOME/.cache/vnvme-lab}"
}

lab_log() {
	printf 'lab: %s\n' "$*" >&2
}

lab_die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}
