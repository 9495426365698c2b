# SPDX-License-Identifier: GPL-2.0
# A system D-Bus for targetcli and libvirtd in the test VM, which starts
# none.  sysbus_up DIR starts one unless one answers (its pid in DIR);
# sysbus_down DIR stops the one it started and removes its socket and pid
# file, so that the next test starts its own.

sysbus_up() {
	dbus-send --system --dest=org.freedesktop.DBus --print-reply / \
		org.freedesktop.DBus.GetId >/dev/null 2>&1 && return 0
	rm -f /run/dbus/system_bus_socket /run/dbus/pid
	mkdir -p /run/dbus
	dbus-daemon --system --fork --print-pid >"$1/dbus.pid"
}

sysbus_down() {
	local pid i
	[ -s "$1/dbus.pid" ] || return 0
	pid=$(cat "$1/dbus.pid")
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f /run/dbus/system_bus_socket /run/dbus/pid "$1/dbus.pid"
}
