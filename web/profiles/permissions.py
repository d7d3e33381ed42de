from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from web.accounts.models import Role


class IsTutor(BasePermission):
    message = "Only tutor accounts have a tutor profile."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.TUTOR)
