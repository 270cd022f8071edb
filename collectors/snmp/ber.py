"""SNMP messages in BER: encode GET, GETNEXT and GETBULK PDUs and v1/v2c requests, decode responses.

This is the fast path for polling. net-snmp's client, as wrapped by ezsnmp 2.x, prints every
varbind to text and parses it back with ``std::regex``, about 40 µs of CPU per varbind;
decoding the BER here costs a few µs. v3 wraps the same PDUs in its own header (``v3``).
Values are given as net-snmp would print them: numbers as decimal text, OIDs dotted, OCTET
STRINGs as text when every byte is printable ASCII or white space (type ``STRING``), else as
bytes (type ``Hex-STRING``).
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.snmp.var import Var

GET, GETNEXT, RESPONSE, GETBULK, REPORT = 0xA0, 0xA1, 0xA2, 0xA5, 0xA8

_TYPES = {0x02: "INTEGER", 0x04: "STRING", 0x05: "NULL", 0x06: "OID", 0x40: "IpAddress",
          0x41: "Counter32", 0x42: "Gauge32", 0x43: "Timeticks", 0x44: "Opaque", 0x46: "Counter64",
          0x47: "UInteger32", 0x80: "NOSUCHOBJECT", 0x81: "NOSUCHINSTANCE", 0x82: "ENDOFMIBVIEW"}
_UNSIGNED = frozenset({0x41, 0x42, 0x43, 0x46, 0x47})
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\n\v\f\r"
# The same OIDs (ifDescr.1 …) come back from every switch at every poll: decode each once.
_OID_CACHE: dict[bytes, str] = {}
_ENCODED: dict[str, bytes] = {}
_OID_CACHE_MAX = 100_000
ERRORS = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
          "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
          "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
          "inconsistentName")


class BerError(ValueError):
    """A datagram that is not a well-formed SNMP response."""


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded GetResponse PDU."""

    request_id: int
    error_status: int
    error_index: int
    varbinds: list[Var]


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, body: bytes) -> bytes:
    """One tag-length-value."""
    return bytes((tag,)) + _length(len(body)) + body


def integer(n: int) -> bytes:
    """A whole INTEGER TLV."""
    return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def encode_oid(oid: str) -> bytes:
    """The BER body of a dotted OID (no tag, no length)."""
    body = _ENCODED.get(oid)
    if body is None:
        body = _encode_oid(oid)
        if len(_ENCODED) >= _OID_CACHE_MAX:
            _ENCODED.clear()
        _ENCODED[oid] = body
    return body


def _encode_oid(oid: str) -> bytes:
    arcs = [int(p) for p in oid.strip(".").split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"not an OID: {oid!r}")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def encode_request(version: str, community: bytes, pdu: int, request_id: int, oids: list[str],
                   max_repetitions: int = 0) -> bytes:
    """A whole v1/v2c request message (see ``encode_pdu``)."""
    body = encode_pdu(pdu, request_id, oids, max_repetitions)
    return tlv(0x30, integer(0 if version == "1" else 1) + tlv(0x04, community) + body)


def encode_pdu(pdu: int, request_id: int, oids: list[str], max_repetitions: int = 0) -> bytes:
    """A request PDU; GETBULK asks every OID with ``max_repetitions`` (no non-repeaters)."""
    binds = b"".join(tlv(0x30, tlv(0x06, encode_oid(o)) + b"\x05\x00") for o in oids)
    second = max_repetitions if pdu == GETBULK else 0
    return tlv(pdu, integer(request_id) + integer(0) + integer(second) + tlv(0x30, binds))


def header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the TLV at ``pos``; BerError if it overruns."""
    try:
        tag = data[pos]
        n = data[pos + 1]
    except IndexError:
        raise BerError("truncated") from None
    pos += 2
    if n & 0x80:
        size = n & 0x7F
        if not 0 < size <= 4 or pos + size > len(data):
            raise BerError("bad length")
        n = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    end = pos + n
    if end > len(data):
        raise BerError("truncated")
    return tag, pos, end


def expect(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """(start, end) of the value of the TLV at ``pos``, which must carry ``tag``."""
    got, start, end = header(data, pos)
    if got != tag:
        raise BerError(f"expected tag {tag:#x}, got {got:#x}")
    return start, end


def decode_oid(body: bytes) -> str:
    """A dotted OID from its BER body."""
    if not body:
        raise BerError("empty OID")
    first = body[0]
    if first < 0x80 and max(body) < 0x80:  # the common case: every arc below 128
        head = f"{first // 40}.{first % 40}" if first < 80 else f"2.{first - 80}"
        return head + ("." + ".".join(map(str, body[1:])) if len(body) > 1 else "")
    arcs: list[int] = []
    arc = 0
    for b in body:
        arc = (arc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(arc)
            arc = 0
    if body[-1] & 0x80:
        raise BerError("truncated OID")
    top = arcs[0]
    parts = [top // 40, top % 40] if top < 80 else [2, top - 80]
    return ".".join(map(str, parts + arcs[1:]))


def _value(tag: int, body: bytes) -> tuple[str, str | bytes]:
    if tag == 0x04:
        if not body.translate(None, _PRINTABLE):  # nothing left once printable bytes are removed
            return "STRING", body.decode("ascii")
        return "Hex-STRING", body
    if tag == 0x02:
        return "INTEGER", str(int.from_bytes(body, "big", signed=True))
    if tag in _UNSIGNED:
        return _TYPES[tag], str(int.from_bytes(body, "big"))
    if tag == 0x06:
        return "OID", decode_oid(body)
    if tag == 0x40:
        return "IpAddress", ".".join(map(str, body))
    if tag == 0x44:
        return "Opaque", body
    if tag in _TYPES:  # NULL and the v2c exceptions carry no value
        return _TYPES[tag], ""
    raise BerError(f"unknown value type {tag:#x}")


def decode_response(data: bytes) -> Response:
    """A GetResponse message; BerError if it is anything else or malformed."""
    try:
        return _decode(data)
    except IndexError:
        raise BerError("truncated") from None


def _decode(data: bytes) -> Response:
    start, end = expect(data, 0, 0x30)
    _, pos = expect(data, start, 0x02)          # version
    _, pos = expect(data, pos, 0x04)            # community (not checked: the request id is)
    tag, response = decode_pdu(data, pos, end)
    if tag != RESPONSE:
        raise BerError(f"not a response PDU ({tag:#x})")
    return response


def decode_pdu(data: bytes, pos: int, end: int) -> tuple[int, Response]:
    """The PDU at ``pos`` (which must end by ``end``): its tag and its fields."""
    try:
        return _decode_pdu(data, pos, end)
    except IndexError:
        raise BerError("truncated") from None


def _decode_pdu(data: bytes, pos: int, end: int) -> tuple[int, Response]:
    tag, s, pdu_end = header(data, pos)
    if tag not in (RESPONSE, REPORT):
        raise BerError(f"not a response PDU ({tag:#x})")
    fields = []
    pos = s
    for _ in range(3):
        s, pos = expect(data, pos, 0x02)
        fields.append(int.from_bytes(data[s:pos], "big", signed=True))
    s, list_end = expect(data, pos, 0x30)
    if list_end > pdu_end or pdu_end > end:
        raise BerError("bad lengths")
    out: list[Var] = []
    pos = s
    cache = _OID_CACHE
    while pos < list_end:
        # The common shape inline (short lengths); anything else through header(), which checks.
        if data[pos] == 0x30 and data[pos + 1] < 0x80 and data[pos + 2] == 0x06 and data[pos + 3] < 0x80:
            end_vb = pos + 2 + data[pos + 1]
            os_, oe = pos + 4, pos + 4 + data[pos + 3]
            pos = end_vb
        else:
            s, pos = expect(data, pos, 0x30)
            os_, oe = expect(data, s, 0x06)
        vtag, vs, ve = header(data, oe)
        if ve != pos or pos > list_end:
            raise BerError("bad varbind")
        raw_oid = data[os_:oe]
        oid = cache.get(raw_oid)
        if oid is None:
            oid = decode_oid(raw_oid)
            if len(cache) >= _OID_CACHE_MAX:
                cache.clear()
            cache[raw_oid] = oid
        if vtag == 0x02:
            out.append(Var(oid, "INTEGER", str(int.from_bytes(data[vs:ve], "big", signed=True))))
        else:
            kind, value = _value(vtag, data[vs:ve])
            out.append(Var(oid, kind, value))
    return tag, Response(fields[0], fields[1], fields[2], out)


def peek_request_id(data: bytes) -> int | None:
    """The request id of a response datagram (v3: its msgID), or None if it does not look like one."""
    try:
        start, _ = expect(data, 0, 0x30)
        _, pos = expect(data, start, 0x02)
        if data[pos] == 0x30:  # v3: msgGlobalData, whose first field is the msgID
            s, _ = expect(data, pos, 0x30)
            s, e = expect(data, s, 0x02)
            return int.from_bytes(data[s:e], "big", signed=True)
        _, pos = expect(data, pos, 0x04)
        _, s, _ = header(data, pos)
        s, e = expect(data, s, 0x02)
        return int.from_bytes(data[s:e], "big", signed=True)
    except (BerError, IndexError):
        return None
