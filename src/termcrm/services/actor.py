"""The acting user, with the settings in force for them, and the roles."""

from __future__ import annotations

from dataclasses import dataclass

REP = "rep"
MANAGER = "manager"
DIRECTOR = "director"
ADMIN = "admin"
ROLES = (REP, MANAGER, DIRECTOR, ADMIN)


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    login: str
    full_name: str
    role: str
    department_id: int | None
    # how phone numbers typed without a country code are read (config: phone_region)
    phone_region: str = "RU"

    @property
    def sees_all(self) -> bool:
        return self.role in (DIRECTOR, ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def display(self) -> str:
        return self.full_name or self.login
