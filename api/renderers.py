"""CSV output of the API (?format=csv or Accept: text/csv): one row per record, formula-safe cells."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer

from core.formulas import safe_cell
from plans import audit


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if isinstance(data, dict):
            data = [data]
        request = (renderer_context or {}).get("request")
        response = (renderer_context or {}).get("response")
        if request is not None and request.user.is_authenticated and (response is None or response.status_code == 200):
            # Anonymous open-data downloads (public mode) are public by definition; a signed-in user's are audited.
            audit.record(request=request, action="export", target=f"API {request.path} (csv)", format="csv")
        rows = list(data or [])
        headers: list[str] = []
        for row in rows:
            for key in row:
                if key not in headers:
                    headers.append(key)
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([safe_cell(_flat(row.get(h))) for h in headers])
        return out.getvalue().encode("utf-8")


def _flat(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return value
