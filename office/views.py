"""The 事務局's home (/office/): where the admin role lands. Plans with their health, what needs fixing in
the data, the due-date requests to decide, and the 事務局's tools (import, reminder preview, audit log) one
click away, outside the Django admin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from measures.progress import discrepancy_rule
from plans.permissions import access_for
from plans.roles import Role

from . import selectors


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if access.role != Role.ADMIN or access.municipality_id is None:
        raise PermissionDenied(_("事務局のページを見る権限がありません。管理者（DX推進本部事務局）だけが使えます。"))
    data = selectors.office_home(municipality_id=access.municipality_id, today=timezone.localdate())
    return render(request, "office/home.html", {"home": data, "access": access, "discrepancy_rule": discrepancy_rule()})
