"""The embedded backend's decode loop: prompt in, tokens drawn by Samplers, text out.

One call: evaluate the prompt from an empty KV cache, then draw, detokenize and evaluate one token
at a time until an end-of-turn token, a stop text, num_predict or the context's end, timing the
first token and the first text as Ollama's client would see them.
"""

from __future__ import annotations

import codecs
import ctypes
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np

from tasks.agents.backends.sampling import DecodeError, Samplers
from tasks.agents.options import ModelOptions

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

__all__ = ["DecodeError", "Decoded", "decode"]


@dataclass(frozen=True)
class Decoded:
    """What one call generated, and when (perf_counter seconds)."""

    text: str
    sampled: int  # tokens drawn, the end-of-generation token included when there was one
    first_token_at: float | None
    first_text_at: float | None
    done_reason: str  # "stop": end of turn or a stop text; "length": num_predict or num_ctx
    grammar_rejections: int  # draws the grammar turned down, each followed by a filtered redraw


class _Text:
    """Token pieces to text: UTF-8 split across tokens is joined, stop texts end the reply."""

    def __init__(self, llama: Llama, stop: list[str]) -> None:
        import llama_cpp

        self._lib, self._vocab = llama_cpp, llama._model.vocab
        self._piece = ctypes.create_string_buffer(256)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = [text for text in stop if text]
        self.text = ""

    def add(self, token: int) -> tuple[str, bool]:
        """The new text for this token, and whether a stop text was reached (and cut off)."""
        size = self._lib.llama_token_to_piece(
            self._vocab, token, self._piece, len(self._piece), 0, False
        )
        if size < 0:  # a longer piece than the buffer holds: llama.cpp says how long
            self._piece = ctypes.create_string_buffer(-size)
            size = self._lib.llama_token_to_piece(self._vocab, token, self._piece, -size, 0, False)
        new = self._utf8.decode(self._piece.raw[:size])
        start = len(self.text)
        self.text += new
        for stop in self._stop:
            found = self.text.find(stop, max(0, start - len(stop) + 1))
            if found >= 0:
                self.text = self.text[:found]
                return self.text[start:], True
        return new, False


def decode(
    llama: Llama,
    prompt: list[int],
    run: ModelOptions,
    grammar: LlamaGrammar | None = None,
    stop: list[str] | None = None,
) -> Decoded:
    """Evaluate the prompt from an empty KV cache, then draw tokens until a stop or a limit."""
    import llama_cpp

    samplers = Samplers(llama, run, grammar)
    text = _Text(llama, stop or [])
    limit = run.num_predict if run.num_predict and run.num_predict > 0 else llama.n_ctx()
    vocab, ctx, n_vocab = llama._model.vocab, llama._ctx.ctx, samplers.n_vocab
    first_token_at = first_text_at = None
    sampled = rejections = 0
    done_reason = "length"
    try:
        llama.reset()  # a cached prefix would change the logits slightly, so replies would vary
        llama.eval(prompt)
        while sampled < limit and llama.n_tokens < llama.n_ctx():
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), (n_vocab,))
            token, rejected = samplers.sample(ctx, logits)
            sampled, rejections = sampled + 1, rejections + rejected
            first_token_at = first_token_at or perf_counter()
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                done_reason = "stop"
                break
            samplers.accept(token)
            new, stopped = text.add(token)
            if new:
                first_text_at = first_text_at or perf_counter()
            if stopped:
                done_reason = "stop"
                break
            llama.eval([token])
    finally:
        samplers.close()
    return Decoded(text.text, sampled, first_token_at, first_text_at, done_reason, rejections)
