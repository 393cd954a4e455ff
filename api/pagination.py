from rest_framework.pagination import LimitOffsetPagination


class OpenDataPagination(LimitOffsetPagination):
    """limit/offset with bounds: an absurd offset is an empty page, never a database error."""

    default_limit = 100
    max_limit = 1000
    max_offset = 10**9

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), self.max_offset)
