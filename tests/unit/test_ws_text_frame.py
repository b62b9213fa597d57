"""The hub frames its own outgoing text frames (`server/ws_protocol.py`): byte for byte what `websockets` makes."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode

from agenthub.server.ws_protocol import text_frame


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])  # each length encoding's edges
@pytest.mark.parametrize("char", ["x", "\u00e9", "\U0001f600"])  # one to four bytes a character
def test_text_frames_are_what_websockets_makes(length: int, char: str) -> None:
    text = char * length
    assert text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
