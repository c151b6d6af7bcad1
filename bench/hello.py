"""The bare baseline of bench/run.py: the smallest ASGI app, served by uvicorn like the reference server.
It reads the request body, as ProcessQuery does, and answers a fixed text."""


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})
