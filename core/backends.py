"""Authorisation backend: answers `user.has_perm()` from roles and the user's scope."""

from core.scoping import can, scope_for


class RoleBackend:
    def authenticate(self, request, **credentials):
        return None  # authorisation only; ModelBackend authenticates

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        scope = scope_for(user_obj)
        if obj is None:
            return set(scope.all_perms)
        return {p for p in scope.all_perms if can(user_obj, p, obj)}

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        return can(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        return any(p.startswith(f"{app_label}.") for p in scope_for(user_obj).all_perms)
