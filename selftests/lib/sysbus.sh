# SPDX-License-Identifier: GPL-2.0
# A system D-Bus for targetcli and libvirtd in the test VM, which starts
# none.  sysbus_up DIR starts one unless one answers (its pid in DIR);
# sysbus_down DIR stops the one it started and removes its socket and pid
# file, so that the next test starts its own.  kill_wait PID ends a
# daemon and waits up to 10 s for it to go.

kill_wait() {
	local i
	kill "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

sysbus_up() {
	dbus-send --system --dest=org.freedesktop.DBus --print-reply / \
		org.freedesktop.DBus.GetId >/dev/null 2>&1 && return 0
	rm -f /run/dbus/system_bus_socket /run/dbus/pid
	mkdir -p /run/dbus
	dbus-daemon --system --fork --print-pid >"$1/dbus.pid"
}

sysbus_down() {
	[ -s "$1/dbus.pid" ] || return 0
	kill_wait "$(cat "$1/dbus.pid")"
	rm -f /run/dbus/system_bus_socket /run/dbus/pid "$1/dbus.pid"
}
