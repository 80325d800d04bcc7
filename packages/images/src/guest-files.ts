/** Text files of the tiny Linux guest's root. Kept apart from the build code so they read as shell. */

export const TINY_PROMPT = "tiny# ";
export const TINY_DEFAULT_HOSTNAME = "tiny";

/** PID 1 before busybox init: the kernel hands over a bare rootfs with no PATH and nothing mounted. */
export function initScript(): string {
  return `#!/bin/sh
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# Modules are listed dependencies-first at build time, since there is no modules.dep for modprobe.
while read -r mod; do
  insmod "/lib/modules/$mod.ko" || echo "init: insmod $mod failed"
done < /etc/modules
# gh.hostname contains a dot, so the kernel keeps it out of init's argv: read it from /proc/cmdline.
name=${TINY_DEFAULT_HOSTNAME}
for arg in $(cat /proc/cmdline); do
  case "$arg" in gh.hostname=?*) name="\${arg#gh.hostname=}" ;; esac
done
case "$name" in *[!A-Za-z0-9.-]*) name=${TINY_DEFAULT_HOSTNAME} ;; esac
hostname "$name"
echo "$name" > /etc/hostname
# A small web server answers on port 80, so tests can reach the guest through networks and
# forwards; ghnet gives every NIC, also one hot-plugged later, a DHCP client.
ip link set lo up
/sbin/ghnet &
mkdir -p /www
echo "hello from $name" > /www/index.html
httpd -p 80 -h /www
exec /sbin/init
`;
}

/**
 * busybox init: acpid for the power button, a root shell on the serial port and on the VGA
 * console's first two virtual terminals (the second so Ctrl-Alt-F2 has somewhere to go: the
 * kernel only switches to a terminal something has opened).
 */
export function inittab(): string {
  return `::respawn:/sbin/acpid -f -c /etc/acpi -l /var/log/acpid.log
::respawn:/sbin/ghclip
ttyS0::respawn:-/bin/sh
tty1::respawn:-/bin/sh
tty2::respawn:-/bin/sh
::ctrlaltdel:/sbin/reboot -f
::shutdown:/bin/umount -a -r
`;
}

/** Read by the login shells that inittab starts ("-" prefix). */
export function profile(): string {
  return `export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
export PS1='${TINY_PROMPT}'
cd /root
echo "Guesthouse tiny Linux on $(hostname), kernel $(uname -r). 'poweroff -f' stops it."
`;
}

/**
 * busybox acpid maps KEY_POWER to the action "PWRF/00000080" and execs that path relative to its
 * config dir, so QMP system_powerdown ends here.
 */
export function powerButtonHandler(): string {
  return `#!/bin/sh
poweroff -f
`;
}

/**
 * Watches the NICs: each one that appears (at boot or hot-plugged) is brought up and asks for DHCP
 * in the background (the bound address goes to the serial console); one that goes away (unplugged)
 * loses its client, and says so. Polled each second, as the kernel's uevent helper may be absent.
 */
export function netWatcher(): string {
  return `#!/bin/sh
# /run/ghnet.IF holds "ifindex pid": an interface unplugged and another plugged under the same name
# between two looks has a new ifindex, and gets a new client.
name=$(hostname)
while :; do
  for mark in /run/ghnet.*; do
    [ -e "$mark" ] || continue
    i=\${mark#/run/ghnet.}
    read -r idx pid < "$mark"
    [ "$(cat "/sys/class/net/$i/ifindex" 2>/dev/null)" = "$idx" ] && continue
    kill "$pid" 2>/dev/null
    rm -f "$mark"
    echo "gh-net: $i gone" > /dev/console
  done
  for dev in /sys/class/net/*; do
    i=\${dev##*/}
    [ "$i" = lo ] || [ -e "/run/ghnet.$i" ] && continue
    ip link set "$i" up
    udhcpc -f -i "$i" -t 60 -T 1 -A 1 -x "hostname:$name" -s /etc/udhcpc.script >/dev/null 2>&1 &
    echo "$(cat "$dev/ifindex") $!" > "/run/ghnet.$i"
  done
  sleep 1
done
`;
}

/** busybox udhcpc calls this with the lease in its environment; it sets the address and says so. */
export function udhcpcScript(): string {
  return `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
    [ -n "$dns" ] && for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf
    echo "gh-net: $interface $ip" > /dev/console ;;
esac
`;
}

export const passwd = "root:x:0:0:root:/root:/bin/sh\n";
export const group = "root:x:0:\n";
