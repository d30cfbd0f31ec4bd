"""A loopback server speaking the OpenAI chat-completions wire format, with scripted faults.

Each request takes the behaviour ``by_prompt`` names for its prompt, else the next one from
``script``, else ``default``:

- ``"answer"``: a normal JSON completion, or an SSE stream when the request asks for one
  (``stream: true``), ending with a usage chunk when ``stream_options.include_usage``.
- ``"rate_limited"``: 429 with ``retry-after-ms: 1``.
- ``"server_error"``: 500.
- ``"unauthorized"``: 401 whose body quotes the Authorization header it got.
- ``"cut"``: a stream that sends two chunks, then drops the connection.
- ``"stall"``: never answers until the server stops (for client timeouts).
- ``"hold"``: answers once :attr:`release` is set.

The answer is ``reply(prompt)``; token counts are word counts, so tests can state them.
Run it alone with ``python -m tests.fakes.openai_server [--port N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

Behaviour = str
HOST = "127.0.0.1"


def default_reply(prompt: str) -> str:
    return f"Answer: {prompt}"


class FakeOpenAI:
    """The server; ``url`` is the base URL to give the SDK (it ends in ``/v1``)."""

    def __init__(self, reply: Callable[[str], str] = default_reply) -> None:
        self.reply = reply
        self.script: list[Behaviour] = []
        self.default: Behaviour = "answer"
        self.by_prompt: dict[str, Behaviour] = {}
        self.requests: list[dict[str, Any]] = []
        self.release = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{HOST}:{bound}/v1"
        return self.url

    async def stop(self) -> None:
        self._closing.set()
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"body": body, "authorization": request.headers.get("Authorization")})
        prompt = body["messages"][-1]["content"]
        behaviour = self.by_prompt.get(prompt) or (self.script.pop(0) if self.script else None)
        behaviour = behaviour or self.default
        answer = self.reply(prompt)

        if behaviour == "rate_limited":
            return _error(429, "Rate limit reached", {"retry-after-ms": "1"})
        if behaviour == "server_error":
            return _error(500, "The server had an error")
        if behaviour == "unauthorized":
            sent = request.headers.get("Authorization")
            return _error(401, f"Incorrect API key provided: {sent}")
        if behaviour == "stall":
            await self._closing.wait()
            return _error(500, "stopped")
        if behaviour == "hold":
            await self.release.wait()
        if behaviour == "cut":
            return await self._stream(request, body, answer, cut=True)
        if body.get("stream"):
            return await self._stream(request, body, answer, cut=False)
        return web.json_response(_completion(body["model"], prompt, answer))

    async def _stream(
        self, request: web.Request, body: dict[str, Any], answer: str, *, cut: bool
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        model, words = body["model"], _pieces(answer)
        for index, piece in enumerate(words):
            if cut and index == 2:
                # Drop the connection mid-answer, as a crashed server or proxy would.
                assert request.transport is not None
                request.transport.close()
                return response
            finish = "stop" if index == len(words) - 1 else None
            await _event(response, _chunk(model, {"content": piece}, finish))
        if body.get("stream_options", {}).get("include_usage"):
            prompt = body["messages"][-1]["content"]
            usage = {**_chunk(model, {}, None), "choices": [], "usage": _usage(prompt, answer)}
            await _event(response, usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _pieces(answer: str) -> list[str]:
    words = answer.split(" ")
    return [word if i == 0 else f" {word}" for i, word in enumerate(words)]


def _usage(prompt: str, answer: str) -> dict[str, int]:
    tokens_in, tokens_out = len(prompt.split()), len(answer.split())
    return {
        "prompt_tokens": tokens_in,
        "completion_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }


def _completion(model: str, prompt: str, answer: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(prompt, answer),
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _event(response: web.StreamResponse, data: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(data)}\n\n".encode())


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": "fake_error", "code": status}}
    return web.json_response(body, status=status, headers=headers)


async def _serve(port: int) -> None:
    server = FakeOpenAI()
    print(f"fake OpenAI-compatible server at {await server.start(port)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A loopback OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))
