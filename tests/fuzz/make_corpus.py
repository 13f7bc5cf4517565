#!/usr/bin/env python3
"""Writes the seed corpora of the codec fuzzers (tests/fuzz/corpus/<target>/) from the
spec vectors of tests/unit/mqtt. Rerun after changing the lists; the files are committed."""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

# Whole packets for fuzz_decode; each input is decoded as 3.1, 3.1.1 and 5.0.
DECODE = {
    "connect_v311": "1010 00044d515454 04 02 003c 000474657374",
    "connect_v311_will_user_pass": "101f 00044d515454 04 ee 0000 00026331 0003772f74 0003627965 000175 00027000",
    "connect_v31": "1011 00064d5149736470 03 02 000a 0003616263",
    "connect_v5_props": "1028 00044d515454 05 02 003c 1b 1100000078 1700 1901 210014 22000a 26000161000162 2700000400 0000",
    "connect_v5_will": "1022 00044d515454 05 54 0000 00 000178 07 0101 1800000005 000174 00020102 0003736563",
    "connack_v311": "2002 01 00",
    "connack_v5": "203f 00 00 3c 1100000100 12000163 13001e 1500016d 16000164 1a000172 1c000173 1f00016f"
                  " 21000a 220005 2401 2500 2600016b000176 2700001000 2801 2900 2a01",
    "publish_qos0": "3007 0003612f62 6869",
    "publish_qos2_dup_retain": "3d05 000161 000a",
    "publish_v5_qos1": "320c 0005646f672f31 0007 00 7b7d",
    "publish_v5_props": "3136 0000 32 0101 020000003c 030010 6170706c69636174696f6e2f6a736f6e 08000172"
                        " 090002abcd 0b05 0b8001 230001 2600016b000176 78",
    "puback": "4002 0007",
    "puback_v5_reason": "4003 0007 10",
    "pubrec_v5_props": "500b 0008 99 07 1f000464656e79",
    "pubrel": "6202 0009",
    "pubcomp": "7002 0009",
    "subscribe_v311": "820c 0001 0003612f23 01 000162 02",
    "subscribe_v5": "8225 0002 11 0b01 260006616363657074 000463626f72 000a2473686172652f672f74 29 000178 14",
    "suback_v311": "9005 0001 01 02 80",
    "suback_v5": "900c 0002 05 1f00026f6b 01 00 8f a1",
    "unsubscribe_v311": "a20a 0003 0003612f62 000163",
    "unsubscribe_v5": "a206 0003 00 000163",
    "unsuback_v311": "b002 0003",
    "unsuback_v5": "b005 0003 00 00 11",
    "pingreq": "c000",
    "pingresp": "d000",
    "disconnect": "e000",
    "disconnect_v5": "e00f 04 0d 1100000000 1c000173 1f000178",
    "auth_v5": "f00f 18 0d 150005534352414d 1600020102",
}

# fuzz_frame: four bytes of maximum packet size, then buffered bytes.
FRAME = {
    "pingreq": "ffffffff c000",
    "two_byte_length": "ffffffff 30c801 6161",
    "max_length": "ffffffff 30ffffff7f",
    "too_large": "000003e8 30ffffff7f",
    "fifth_byte": "ffffffff 30ffffffff01",
    "non_minimal": "ffffffff c08000",
    "partial": "ffffffff 3080",
    "exact_limit": "0000000c 300a",
}

for target, vectors in (("fuzz_decode", DECODE), ("fuzz_frame", FRAME)):
    out = HERE / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for name, text in vectors.items():
        (out / name).write_bytes(bytes.fromhex(text.replace(" ", "")))
