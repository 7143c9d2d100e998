// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * Kernel text files that lib/ reads line by line, each through its public
 * reader under a temporary root: byte 0 of the input ("0" to "9") picks
 * the file, the rest is its content.
 *   0 /sys/kernel/rapiddisk/devices  vn_rapiddisk_list (RapidDisk's listing)
 *   1 /proc/meminfo                  vn_meminfo, vn_ram_check
 *   2 /proc/net/tcp, 3 .../tcp6      vn_tcp_peers, and vn_nvmet_read's
 *                                    connection count of two fake ports
 *   4 /proc/self/mountinfo, 5 /proc/swaps   vn_blk_holds of a fake sda
 *   6 /sys/block/sda/device/vpd_pg80, 7 /sys/block/sda/dev   vn_blk_get
 *   8 a /dev/kmsg stream             vn_stack_kmsg_find
 *   9 a configfs port's addr_trsvcid vn_nvmet_read
 *   : /sys/class/nvme/nvme0/state, ; .../address   vn_nvme_ctrl_list and
 *                                    vn_health_ctrl of a fake controller
 */
#include "fuzz.h"

#define NVMET "/sys/kernel/config/nvmet"

static void setup(void)
{
	static bool done;
	char path[VN_PATH_MAX];

	if (done)
		return;
	done = true;
	(void)fuzz_ctx();
	/* sda, 8:0, with one partition sda1 8:1 */
	fuzz_write_str("/sys/block/sda/size", "2097152\n");
	fuzz_write_str("/sys/block/sda/dev", "8:0\n");
	fuzz_write_str("/sys/block/sda/queue/rotational", "1\n");
	fuzz_write_str("/sys/block/sda/sda1/size", "2095104\n");
	fuzz_write_str("/sys/block/sda/sda1/dev", "8:1\n");
	fuzz_write_str("/sys/block/sda/sda1/partition", "1\n");
	/* a host controller nvme0 with its namespace nvme0n1 */
	fuzz_write_str("/sys/class/nvme/nvme0/state", "live\n");
	fuzz_write_str("/sys/class/nvme/nvme0/transport", "tcp\n");
	fuzz_write_str("/sys/class/nvme/nvme0/address",
		       "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1\n");
	fuzz_write_str("/sys/class/nvme/nvme0/subsysnqn", "nqn.2014-08.org.x:a\n");
	fuzz_mkdirs("/sys/class/nvme/nvme0/nvme0n1");
	/* two nvmet ports, IPv4 and IPv6, each linked to a subsystem */
	fuzz_write_str(NVMET "/ports/1/addr_traddr", "127.0.0.1\n");
	fuzz_write_str(NVMET "/ports/1/addr_trsvcid", "4420\n");
	fuzz_write_str(NVMET "/ports/2/addr_traddr", "::1\n");
	fuzz_write_str(NVMET "/ports/2/addr_trsvcid", "4420\n");
	for (int p = 1; p <= 2; p++) {
		snprintf(path, sizeof(path), NVMET "/ports/%d/subsystems", p);
		fuzz_mkdirs(path);
		snprintf(path, sizeof(path), "%s" NVMET "/ports/%d/subsystems/nqn.2014-08.org.x:a",
			 fuzz_root_dir, p);
		FUZZ_ASSERT(symlink("../../../subsystems/nqn.2014-08.org.x:a", path) == 0);
	}
}

static void tcp(struct vn_ctx *ctx)
{
	char peers[8][VN_PEER_MAX];
	struct vn_nvmet_config *cfg = NULL;
	int n = vn_tcp_peers(ctx, 4420, peers, 8);

	FUZZ_ASSERT(n >= 0 && n <= 8);
	for (int i = 0; i < n; i++)
		FUZZ_ASSERT(memchr(peers[i], '\0', VN_PEER_MAX));
	if (vn_nvmet_read(ctx, &cfg) == 0)
		vn_nvmet_config_free(cfg);
}

static void holds(struct vn_ctx *ctx)
{
	struct vn_hold h[VN_HOLDS_MAX];
	char desc[512];
	int n = vn_blk_holds(ctx, "sda", h, VN_HOLDS_MAX);

	FUZZ_ASSERT(n >= 0 && n <= VN_HOLDS_MAX);
	for (int i = 0; i < n; i++)
		(void)vn_blk_describe_hold(&h[i], desc, sizeof(desc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {
		"/sys/kernel/rapiddisk/devices", "/proc/meminfo", "/proc/net/tcp",
		"/proc/net/tcp6", "/proc/self/mountinfo", "/proc/swaps",
		"/sys/block/sda/device/vpd_pg80", "/sys/block/sda/dev", "/kmsg",
		NVMET "/ports/1/addr_trsvcid", "/sys/class/nvme/nvme0/state",
		"/sys/class/nvme/nvme0/address",
	};
	struct vn_ctx *ctx = fuzz_ctx();
	struct vn_ramdisk *disks = NULL;
	struct vn_nvme_ctrl *ctrls = NULL;
	struct vn_blkdev dev;
	unsigned int which;
	char path[VN_PATH_MAX], found[256];
	uint64_t v = 0;
	int n, fd;

	setup();
	if (size < 1)
		return 0;
	which = (data[0] + 256u - '0') % VN_ARRAY_SIZE(files);	/* "0".."9", ":", ";" */
	fuzz_write(files[which], data + 1, size - 1);
	switch (which) {
	case 0:
		n = vn_rapiddisk_list(ctx, &disks);
		FUZZ_ASSERT(n >= 0);
		for (int i = 0; i < n; i++)
			FUZZ_ASSERT(strncmp(disks[i].name, "rd", 2) == 0);
		free(disks);
		break;
	case 1:
		if (vn_meminfo(ctx, "MemAvailable", &v) == 0)
			(void)vn_ram_check(ctx, v / 2, "half of it");
		(void)vn_ram_check(ctx, UINT64_MAX - 1, "too much");
		break;
	case 2:
	case 3:
		tcp(ctx);
		break;
	case 4:
	case 5:
		holds(ctx);
		break;
	case 6:
	case 7:
		if (vn_blk_get(ctx, "sda", &dev) == 0)
			FUZZ_ASSERT(memchr(dev.serial, '\0', sizeof(dev.serial)));
		break;
	case 8:
		snprintf(path, sizeof(path), "%s/kmsg", fuzz_root_dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		FUZZ_ASSERT(fd >= 0);
		(void)vn_stack_kmsg_find(fd, "md/raid:md0:", found, sizeof(found));
		break;
	case 9:
		tcp(ctx);
		break;
	case 10:
	case 11:
		n = vn_nvme_ctrl_list(ctx, &ctrls);
		for (int i = 0; i < n; i++) {
			struct vn_health_report rep = { 0 };

			(void)vn_health_ctrl(&ctrls[i], &rep);
			FUZZ_ASSERT(rep.n <= VN_HEALTH_NOTES_MAX);
		}
		free(ctrls);
		break;
	}
	/* the next run starts from the same tree: every input stands alone */
	if (which == 6)
		fuzz_write_str(files[6], "");
	else if (which == 7)
		fuzz_write_str(files[7], "8:0\n");
	else if (which == 9)
		fuzz_write_str(files[9], "4420\n");
	else if (which == 10)
		fuzz_write_str(files[10], "live\n");
	else if (which == 11)
		fuzz_write_str(files[11], "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1\n");
	else if (snprintf(path, sizeof(path), "%s%s", fuzz_root_dir, files[which]) <
		 (int)sizeof(path))
		FUZZ_ASSERT(unlink(path) == 0);
	vn_ctx_clear_error(ctx);
	return 0;
}
