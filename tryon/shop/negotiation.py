"""What a shop request asks back: the page, or JSON for the page's own script."""


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")
