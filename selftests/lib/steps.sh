# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Teardown steps and fork-free sleeps for the shell tests that drive QEMU
# guests (nested.sh, e2e.sh). Source it.
#
#   undo_push CMD...   remember a teardown step (a shell command line)
#   undo_to DEPTH      run the steps above DEPTH, last first; non-zero if
#                      one failed.  UNDO_SHOW=1 prints each as "# teardown:"
#   nap_init DIR       a FIFO in DIR for nap to wait on
#   nap SECONDS        sleep without a fork (sleep(1) costs a fork+exec in
#                      the VM)

UNDO=()

undo_push() { UNDO+=("$*"); }

undo_to() {
	local keep=$1 rc=0 i
	for ((i = ${#UNDO[@]} - 1; i >= keep; i--)); do
		[ "${UNDO_SHOW:-0}" = 1 ] && echo "# teardown: ${UNDO[i]}"
		if ! eval "${UNDO[i]}" 2>/dev/null; then
			echo "# teardown step failed: ${UNDO[i]}"
			rc=1
		fi
		unset 'UNDO[i]'
	done
	return $rc
}

nap_init() {
	mkfifo "$1/nap" && exec {NAP_FD}<>"$1/nap"
}

nap() {
	read -r -t "$1" -u "$NAP_FD" _ 2>/dev/null || true
}
