"""The correlation id of each web request (see logs.py)."""

from .logs import REQUEST_ID_HEADER, clean_request_id, request_id_bound


class RequestIdMiddleware:
    """Takes the id from the X-Request-ID header (set by the reverse proxy) or makes one, keeps it for
    everything logged and enqueued while the request is served, and returns it in the answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        with request_id_bound(request_id):
            response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
