"""Django admin that a 事務局 admin (not a superuser) can use: everything they see and can pick is
limited to their own municipality."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .permissions import access_for, can_change


class MunicipalityScopedAdmin(admin.ModelAdmin):
    # Path from this model to its municipality id, e.g. "plan__municipality_id".
    municipality_lookup: str = "municipality_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        access = access_for(request.user)
        if access.is_superuser:
            return qs
        return qs.filter(**{self.municipality_lookup: access.municipality_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        access = access_for(request.user)
        if not access.is_superuser:
            related = db_field.related_model
            field_names = {f.name for f in related._meta.get_fields()}
            if related._meta.model_name == "municipality":
                kwargs["queryset"] = related.objects.filter(pk=access.municipality_id)
            elif "municipality" in field_names:
                kwargs["queryset"] = related.objects.filter(municipality_id=access.municipality_id)
            elif "plan" in field_names:
                kwargs["queryset"] = related.objects.filter(plan__municipality_id=access.municipality_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        access = access_for(request.user)
        related = db_field.related_model
        if not access.is_superuser and "municipality" in {f.name for f in related._meta.get_fields()}:
            kwargs["queryset"] = related.objects.filter(municipality_id=access.municipality_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return can_change(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return can_change(request.user, obj)


def extend_registered_admin(model, *mixins: type, **attrs) -> type[admin.ModelAdmin]:
    """Let a higher app add to a lower app's ModelAdmin (an inline, export buttons, extra URLs) without the
    lower app importing it: the admin registered for `model` is replaced by a subclass with `mixins` in front
    and `attrs` set. Apps later in INSTALLED_APPS extend what earlier ones registered."""
    current = type(admin.site.get_model_admin(model))
    extended = type(current.__name__, (*mixins, current), {"__module__": current.__module__, **attrs})
    admin.site.unregister(model)
    admin.site.register(model, extended)
    return extended
