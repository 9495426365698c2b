# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The kernel tags of selftests/suite.list, for scripts/check and
# scripts/vm-suite: a line "@6.12 TEST" runs on the Debian kernel whose
# release begins "6.12." only, "@debug TEST" on no Debian kernel (the
# debug kernel runs the lines selftests/debug.list names); an untagged
# line runs on every Debian kernel.

# suite_untag LINE: the test of a line, without its tag.
suite_untag() {
	if [[ $1 == @* ]]; then printf '%s\n' "${1#* }"; else printf '%s\n' "$1"; fi
}

# suite_on LINE KVER: whether Debian kernel KVER runs the line.
suite_on() {
	local tag=${1%% *}
	[[ $1 != @* ]] || [[ $2 == "${tag#@}."* && $2 != *-fvdebug-* ]]
}
