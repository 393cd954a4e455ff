"""Django admin that a 事務局 admin (not a superuser) can use: everything they see, pick and change is limited to
their own municipality. Every ModelAdmin and inline of the project goes through the classes here:

- `MunicipalityScopedAdmin.municipality_lookup` says how a model reaches its municipality; the changelist, the
  change/delete pages, actions, exports (django-import-export's `get_export_queryset` builds on `get_queryset`),
  search and autocomplete (Django's autocomplete view asks the *target* model's admin for its queryset) all start
  from `get_queryset`, which filters by it.
- `scoped_choices()` is the one rule for what a form may offer: a foreign key or many-to-many to a tenant-owned
  model lists only the user's municipality's rows (the target's own registered admin says how to filter); shared
  national data is offered to everyone; anything else (no rule known) offers nothing to a non-superuser.
- History (django-simple-history looks objects up through the *historical* table, not `get_queryset`, so a city
  admin could read and revert another city's rows): the history list and the revert form answer 404 for an object
  outside the admin's queryset, and every save checks that the object still belongs to the admin's municipality.
- `SHARED` models (the national framework) are read-only for everyone but superusers; `superuser_only_fields`
  (e.g. `Membership.compare_scope`) likewise.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from .permissions import Access, access_for, can_change, municipality_id_of

# `municipality_lookup` of data every municipality shares (the national framework).
SHARED = None

# Fields that tie a row to its municipality: once saved, only a superuser moves a row to another plan / city.
TENANT_KEYS = ("municipality", "plan")


def scoped_choices(request: HttpRequest, model: type[Model], queryset: QuerySet | None = None) -> QuerySet:
    """The rows of `model` this user may pick in an admin form (a foreign key, a many-to-many, an inline)."""
    qs = queryset if queryset is not None else model._default_manager.all()
    access = access_for(request.user)
    if access.is_superuser:
        return qs
    if access.municipality_id is None:
        return qs.none()
    if model is get_user_model():
        return qs.filter(membership__municipality_id=access.municipality_id)
    model_admin = admin.site._registry.get(model)
    if isinstance(model_admin, MunicipalityScopedAdmin):
        return model_admin.scope(qs, access)
    return qs.none()  # no rule for this model: offer nothing rather than another city's rows


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices through `scoped_choices` (ModelAdmins and inlines alike)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = scoped_choices(request, db_field.related_model, kwargs.get("queryset"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = scoped_choices(request, db_field.related_model, kwargs.get("queryset"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MunicipalityScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    # Path from this model to its municipality id, e.g. "plan__municipality_id"; SHARED for national data.
    municipality_lookup: str | None = "municipality_id"
    # Fields only a superuser may set (shown read-only to a city's admin).
    superuser_only_fields: tuple[str, ...] = ()

    # --- what the admin sees -------------------------------------------------------------------------------

    def scope(self, qs: QuerySet, access: Access) -> QuerySet:
        if access.is_superuser or self.municipality_lookup is SHARED:
            return qs
        if access.municipality_id is None:
            return qs.none()
        return qs.filter(**{self.municipality_lookup: access.municipality_id})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(super().get_queryset(request), access_for(request.user))

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete view passes the target admin's queryset here; filter again so no caller can widen it.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return self.scope(queryset, access_for(request.user)), may_have_duplicates

    def get_object_in_scope(self, request: HttpRequest, object_id: str) -> Model:
        """The object if this admin's queryset holds it, else 404 (another city's rows are not shown to exist)."""
        try:
            return self.get_queryset(request).get(pk=unquote(object_id))
        except (self.model.DoesNotExist, ValidationError, ValueError, TypeError, OverflowError):
            raise Http404

    # django-simple-history's history list and revert form look the object up in the historical table;
    # Django's own history view goes through get_object. Both must first find it in the scoped queryset.
    def history_view(self, request, object_id, extra_context=None):
        if not access_for(request.user).is_superuser:
            self.get_object_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not access_for(request.user).is_superuser:
            self.get_object_in_scope(request, object_id)
        with transaction.atomic():  # a revert saves like the change page does: all or nothing
            return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    # --- what the admin may change --------------------------------------------------------------------------

    def _shared_and_not_superuser(self, request: HttpRequest) -> bool:
        return self.municipality_lookup is SHARED and not access_for(request.user).is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not self._shared_and_not_superuser(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if self._shared_and_not_superuser(request):
            return False
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or self.municipality_lookup is SHARED:
            return allowed
        return can_change(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if self._shared_and_not_superuser(request):
            return False
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or self.municipality_lookup is SHARED:
            return allowed
        return can_change(request.user, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if access_for(request.user).is_superuser:
            return readonly
        extra = [*self.superuser_only_fields]
        if obj is not None:
            extra += [f.name for f in self.model._meta.fields if f.name in TENANT_KEYS and f.editable]
        return readonly + [name for name in extra if name not in readonly]

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        # The last guard for every admin write (add, change, history revert): the saved row is in the
        # admin's own municipality.
        access = access_for(request.user)
        if not access.is_superuser and self.municipality_lookup is not SHARED:
            if self.object_municipality_id(obj) != access.municipality_id:
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def object_municipality_id(self, obj) -> int | None:
        """The municipality a (possibly unsaved) object belongs to; an app with its own rule overrides this."""
        return municipality_id_of(obj)


class MunicipalityScopedInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline of a scoped admin: its rows belong to the parent (already scoped); its choices are scoped.
    `shared = True` for national data: only a superuser adds, changes or deletes it."""

    shared: bool = False

    def _read_only_for(self, request: HttpRequest) -> bool:
        return self.shared and not access_for(request.user).is_superuser

    def has_add_permission(self, request, obj=None):
        return not self._read_only_for(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._read_only_for(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._read_only_for(request) and super().has_delete_permission(request, obj)


def extend_registered_admin(model, *mixins: type, **attrs) -> type[admin.ModelAdmin]:
    """Let a higher app add to a lower app's ModelAdmin (an inline, export buttons, extra URLs) without the
    lower app importing it: the admin registered for `model` is replaced by a subclass with `mixins` in front
    and `attrs` set. Apps later in INSTALLED_APPS extend what earlier ones registered."""
    current = type(admin.site.get_model_admin(model))
    extended = type(current.__name__, (*mixins, current), {"__module__": current.__module__, **attrs})
    admin.site.unregister(model)
    admin.site.register(model, extended)
    return extended
