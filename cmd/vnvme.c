// SPDX-License-Identifier: GPL-3.0-or-later
/* The executable's entry point; everything else links into the unit tests. */
#include "commands.h"

int main(int argc, char **argv)
{
	return vn_main(argc, argv);
}
