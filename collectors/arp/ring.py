"""ARP capture through a memory-mapped AF_PACKET receive ring (TPACKET_V3) with a kernel BPF filter.

The kernel drops every frame that is not ARP before it is copied anywhere, cuts the ones it
keeps to the bytes detection reads, and hands them over in blocks of many frames: one wake-up
per block instead of one system call per frame, which is what keeps a Python reader ahead of an
ARP flood. Only the standard library (socket, mmap, struct, ctypes for the filter's address);
needs CAP_NET_RAW and nothing else (the ring is the socket's own memory, not locked user memory).
"""

from __future__ import annotations

import ctypes
import mmap
import select
import socket
import struct

# <linux/if_packet.h>, <linux/filter.h>, <asm-generic/socket.h>
SOL_PACKET, PACKET_ADD_MEMBERSHIP, PACKET_RX_RING, PACKET_STATISTICS, PACKET_VERSION = 263, 1, 5, 6, 10
TPACKET_V3, PACKET_MR_PROMISC, SO_ATTACH_FILTER, ETH_P_ALL = 2, 1, 26, 0x0003
TP_STATUS_KERNEL, TP_STATUS_USER, TP_STATUS_VLAN_VALID = 0, 1, 1 << 4
SNAP = 64  # Ethernet + two VLAN tags + the 28-byte ARP body fit; the rest is never copied
BLOCK = 1 << 18  # 256 KiB blocks: ~1,800 frames each; many blocks let a burst queue up
RETIRE_MS = 8  # a block that is not full is handed over after this long: bounds the latency

# Classic BPF: accept ARP, untagged or under one or two in-band tags (802.1Q / 802.1ad). A tag
# the NIC or veth strips is not in the data at all: the ring header carries it instead.
_JEQ, _LDH, _RET = 0x15, 0x28, 0x06
_BPF = [
    (_LDH, 0, 0, 12),                  # 0: ethertype
    (_JEQ, 8, 0, 0x0806),              # 1: ARP -> accept
    (_JEQ, 1, 0, 0x8100),              # 2: 802.1Q -> 4
    (_JEQ, 0, 7, 0x88A8),              # 3: 802.1ad -> 4, else reject
    (_LDH, 0, 0, 16),                  # 4: ethertype under one tag
    (_JEQ, 4, 0, 0x0806),              # 5: ARP -> accept
    (_JEQ, 0, 4, 0x8100),              # 6: a second tag -> 7, else reject
    (_LDH, 0, 0, 20),                  # 7: ethertype under two tags
    (_JEQ, 1, 0, 0x0806),              # 8: ARP -> accept
    (_RET, 0, 0, 0),                   # 9: (fall-through) reject
    (_RET, 0, 0, SNAP),                # 10: accept, cut to SNAP bytes
    (_RET, 0, 0, 0),                   # 11: reject
]
_BLOCK_HDR = struct.Struct("=III")      # block_status, num_pkts, offset_to_first_pkt (at offset 8)
_PKT_HDR = struct.Struct("=IIIIIIHHII")  # next, sec, nsec, snaplen, len, status, mac, net, rxhash, tci
_STATUS_AT = 8


Frame = tuple[bytes, int, float]
"""One captured frame: its first SNAP bytes, the VLAN the kernel took off it (0: none), and its
arrival time in seconds since the epoch. A plain tuple: tens of thousands are made per second."""


class Ring:
    """An AF_PACKET socket on one interface, filtered to ARP, promiscuous, with a TPACKET_V3 ring."""

    def __init__(self, iface: str, buffer_bytes: int) -> None:
        blocks = max(2, buffer_bytes // BLOCK)
        # Protocol 0 until bound: the socket receives nothing before the filter is attached.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            self._program = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *op) for op in _BPF))
            fprog = struct.pack("@HP", len(_BPF), ctypes.addressof(self._program))
            self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
            self.sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
            req = struct.pack("=7I", BLOCK, blocks, 2048, BLOCK // 2048 * blocks, RETIRE_MS, 0, 0)
            self.sock.setsockopt(SOL_PACKET, PACKET_RX_RING, req)
            self.map = mmap.mmap(self.sock.fileno(), BLOCK * blocks, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
            index = socket.if_nametoindex(iface)
            # Promiscuous for this socket only; the kernel undoes it when the socket closes.
            self.sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP,
                                 struct.pack("@iHH8s", index, PACKET_MR_PROMISC, 0, b""))
            self.sock.bind((iface, ETH_P_ALL))
        except BaseException:
            self.sock.close()
            raise
        self.blocks = blocks
        self._next = 0
        self._poll = select.poll()
        self._poll.register(self.sock.fileno(), select.POLLIN | select.POLLERR)

    def read(self, timeout: float) -> list[Frame]:
        """The frames of the next block the kernel has handed over (the block goes straight back
        to the kernel); waits up to ``timeout`` seconds for one, else []. Raises OSError when
        the interface goes away."""
        view = self.map
        base = self._next * BLOCK
        if not self._ready(base):
            for _fd, event in self._poll.poll(timeout * 1000):
                if event & select.POLLERR:
                    err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "capture socket failed")
            if not self._ready(base):
                return []
        _status, count, at = _BLOCK_HDR.unpack_from(view, base + _STATUS_AT)
        at += base
        frames: list[Frame] = []
        append, unpack = frames.append, _PKT_HDR.unpack_from
        for _ in range(count):
            nxt, sec, nsec, snap, _len, status, mac, _net, _hash, tci = unpack(view, at)
            append((view[at + mac:at + mac + snap], tci & 0x0FFF if status & TP_STATUS_VLAN_VALID else 0,
                    sec + nsec * 1e-9))
            at += nxt
        # Give the block back: the kernel may fill it again from now on.
        struct.pack_into("=I", view, base + _STATUS_AT, TP_STATUS_KERNEL)
        self._next = (self._next + 1) % self.blocks
        return frames

    def drops(self) -> int:
        """Frames the kernel dropped because the ring was full, since the last call."""
        raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 12)  # tpacket_stats_v3
        return int(struct.unpack("=III", raw)[1])

    def close(self) -> None:
        """Unmap the ring and close the socket."""
        self.map.close()
        self.sock.close()

    def _ready(self, base: int) -> bool:
        return bool(_BLOCK_HDR.unpack_from(self.map, base + _STATUS_AT)[0] & TP_STATUS_USER)
