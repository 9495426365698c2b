# SPDX-License-Identifier: GPL-2.0
#
# fastvhost: kernel module, control tool and tests.
#
#   make                 build the module (for KVER), fvctl and the selftests
#   make check           install deps, build for both kernels and the debug kernel, run all tests in VMs
#   make demo            boot the test VM and show a guest doing I/O through fastvhost
#   make e2e             the end-to-end QEMU guest test alone (in make check too)
#   make bench           fastvhost against the stock vhost_scsi in the test VM (docs/performance.md)
#   make profile         perf in the test VM: where a bench row's CPU time goes, both modules
#   make fuzz            fvfuzz in the test VM: FUZZ_CASES, FUZZ_SEED, FUZZ_TIME (s), KVER
#   make check-debug     the debug-kernel leg alone (lockdep, KASAN, kmemleak)
#   make coverage        the debug kernel's tests with a GCOV build: kmod/ line coverage
#   make vm KVER=...     interactive shell in the test VM
#   make install         install the module (then depmod) and install-user on this host
#   make install-user    fvctl, its man page and completion, the netlink spec, fastvhost.service,
#                        the modprobe rule of drop-in mode
#   make uninstall       take both out again (uninstall-module, uninstall-user; same variables)
#   make deb             Debian packages fvctl and fastvhost-dkms (debian/) in build/deb/
#   make gen             regenerate the netlink code from uapi/fastvhost.yaml (scripts/nlgen)

# Default kernel: the running one when its headers are installed, else the
# Debian 6.1 kernel the tests use.
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
		else scripts/kvers 6.1; fi)
KDIR ?= /lib/modules/$(KVER)/build
B := $(CURDIR)/build/$(KVER)
FV_VERSION := $(shell git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' | grep . || cat VERSION)

CC ?= gcc
export CC

.PHONY: all module ctl selftests deps check check-debug style sparse demo bench profile e2e migrate fuzz coverage vm install install-module install-user uninstall uninstall-module uninstall-user deb gen clean help

# Where make install puts things: DESTDIR and PREFIX as usual; the module
# under INSTALL_MOD_PATH (kbuild's; depmod runs only when it is unset).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
LIBDIR ?= $(PREFIX)/lib
DATADIR ?= $(PREFIX)/share
UNITDIR ?= $(LIBDIR)/systemd/system
INSTALL_MOD_DIR ?= extra
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)

all: module ctl selftests

# Each kernel gets its own tree of links to the sources in build/<KVER>/ so
# that builds for several kernels do not trample each other's objects.
module:
	@test -d $(KDIR) || { echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER) or run 'make deps'" >&2; exit 1; }
	@mkdir -p $(B)/kmod
	@find $(B) -xtype l -delete
	@ln -sfn $(CURDIR)/Kbuild $(B)/Kbuild
	@ln -sfn $(CURDIR)/uapi $(B)/uapi
	@for f in $(CURDIR)/kmod/Kbuild $(wildcard $(CURDIR)/kmod/*.[ch]); do ln -sfn $$f $(B)/kmod/; done
	$(MAKE) -C $(KDIR) M=$(B) W=1 FV_VERSION=$(FV_VERSION) $(KBUILD_EXTRA) modules
	@ln -sfn ../build/$(KVER)/kmod/fastvhost.ko kmod/fastvhost.ko

ctl:
	$(MAKE) -C ctl FV_VERSION=$(FV_VERSION)

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps.sh

check:
	@scripts/check

# The uapi header, the kernel's policies and ops, fvctl's attribute tables.
gen:
	@scripts/nlgen

# checkpatch --strict over the module sources; ignores are in .checkpatch.conf.
style:
	@scripts/style

sparse:
	@$(MAKE) --no-print-directory module KBUILD_EXTRA="C=2 CF=-D__CHECK_ENDIAN__"

demo:
	@scripts/demo

bench:
	@scripts/bench

# Where a bench row's CPU time goes: perf in the test VM, stock and
# fastvhost side by side (PROFILE_ROWS, PROFILE_VARIANTS; docs/performance.md).
profile:
	@scripts/profile

# The end-to-end QEMU guest test alone; make check runs it last.
e2e:
	@FV_TESTS=selftests/e2e.sh scripts/check

# Live migration of a nested guest, 5 times with I/O (docs/migration.md).
migrate:
	@FV_TESTS=selftests/migrate.sh scripts/check

# fvfuzz on demand (docs/testing.md): FUZZ_CASES cases (or fewer when
# FUZZ_TIME seconds run out) from FUZZ_SEED (default: from the clock).
FUZZ_CASES ?= 100000
FUZZ_SEED ?=
FUZZ_TIME ?=
FUZZ_VM_TIMEOUT ?= $(if $(FUZZ_TIME),$(shell echo $$(($(FUZZ_TIME) + 900))),14400)
fuzz: module selftests
	@scripts/vmtest --kver $(KVER) --timeout $(FUZZ_VM_TIMEOUT) -- \
		'FV_FUZZ_CASES=$(FUZZ_CASES) FV_FUZZ_SEED=$(FUZZ_SEED) FV_FUZZ_TIME=$(FUZZ_TIME) selftests/fuzz.sh'

# The debug-kernel leg of make check alone (docs/testing.md).
check-debug:
	@FV_KVERS=debug scripts/check

# Line coverage of kmod/ under the debug kernel's tests (build/coverage/).
coverage:
	@scripts/coverage

vm: module selftests
	@scripts/vmtest --kver $(KVER) --interactive

install: install-module install-user

install-module: module
	$(MAKE) -C $(KDIR) M=$(B) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(if $(INSTALL_MOD_PATH),,depmod -a $(KVER))

# The service's files, with this installation's paths in them.
dist_subst = sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@SBINDIR@|$(SBINDIR)|g'

install-user: ctl
	$(MAKE) -C ctl install
	install -D -m 0644 uapi/fastvhost.yaml $(DESTDIR)$(DATADIR)/fastvhost/fastvhost.yaml
	@mkdir -p $(DESTDIR)$(UNITDIR) $(DESTDIR)$(LIBDIR)/fastvhost
	$(dist_subst) dist/fastvhost.service.in > $(DESTDIR)$(UNITDIR)/fastvhost.service
	$(dist_subst) dist/fastvhost-service.in > $(DESTDIR)$(LIBDIR)/fastvhost/fastvhost-service
	chmod 0755 $(DESTDIR)$(LIBDIR)/fastvhost/fastvhost-service
	install -D -m 0644 dist/fastvhost.default $(DESTDIR)$(SYSCONFDIR)/default/fastvhost
	install -D -m 0644 dist/fastvhost-modprobe.conf $(DESTDIR)$(LIBDIR)/modprobe.d/fastvhost.conf

uninstall: uninstall-module uninstall-user

uninstall-module:
	rm -f $(addprefix $(MODDIR)/kmod/fastvhost.ko,'' .xz .zst)
	-rmdir $(MODDIR)/kmod 2>/dev/null
	$(if $(INSTALL_MOD_PATH),,depmod -a $(KVER))

# Saved configurations (/etc/fastvhost/) stay: they are the operator's.
uninstall-user:
	$(MAKE) -C ctl uninstall
	rm -f $(DESTDIR)$(DATADIR)/fastvhost/fastvhost.yaml $(DESTDIR)$(UNITDIR)/fastvhost.service \
		$(DESTDIR)$(LIBDIR)/fastvhost/fastvhost-service $(DESTDIR)$(SYSCONFDIR)/default/fastvhost \
		$(DESTDIR)$(LIBDIR)/modprobe.d/fastvhost.conf
	-rmdir $(DESTDIR)$(DATADIR)/fastvhost $(DESTDIR)$(LIBDIR)/fastvhost 2>/dev/null

# dpkg-buildpackage -b on a copy of the work tree (git's files, committed
# or not) in build/deb/src/, with a debian/changelog written from VERSION;
# the .debs end up in build/deb/, the build's output in build/deb/build.log.
DEB_VERSION := $(shell cat VERSION)
DEB_SRC = build/deb/src/fastvhost-$(DEB_VERSION)
deb:
	@rm -rf build/deb && mkdir -p $(DEB_SRC)
	@git ls-files -co --exclude-standard | while read -r f; do [ ! -f "$$f" ] || echo "$$f"; done | \
		tar -cf - -T - | tar -xf - -C $(DEB_SRC)
	@printf 'fastvhost (%s) unstable; urgency=medium\n\n  * make deb of %s.\n\n -- %s  %s\n' \
		'$(DEB_VERSION)' '$(FV_VERSION)' "$$(sed -n 's/^Maintainer: //p' debian/control)" \
		"$$(git log -1 --format=%aD 2>/dev/null || date -R)" >$(DEB_SRC)/debian/changelog
	@cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b >../../build.log 2>&1 || \
		{ tail -n 20 ../../build.log; echo "make deb: dpkg-buildpackage failed, see build/deb/build.log" >&2; exit 1; }
	@mv build/deb/src/*.deb build/deb/ && ls build/deb/*.deb

clean:
	rm -rf build kmod/fastvhost.ko
	-$(MAKE) -C ctl clean
	-$(MAKE) -C selftests clean

help:
	@sed -n '3,/^$$/{/^#/p}' Makefile | sed 's/^# \{0,3\}//'
