# Helpers shared by tests/deps and the host-side lab scripts (bash, sourced).

# The lab boots the kernel Debian currently ships as linux-image-amd64.
# Resolve it at run time: the versioned package moves with point releases.
lab_kernel_version() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		echo "lab: cannot resolve linux-image-amd64's kernel version (apt lists missing? run apt-get update)" >&2
		return 1
	fi
	printf '%s\n' "$pkg"
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
