"""architus's permission bit field, as carried in a token's `guilds` claim."""

from enum import IntFlag


class Permission(IntFlag):
    ADMINISTRATOR = 0x1
    VIEW_PUBLIC_LOGS = 0x2
    VIEW_PRIVATE_LOGS = 0x4
    REVERT_LOG_ACTIONS = 0x8
    ADD_AUTO_RESPONSE = 0x10
    IGNORE_AUTO_RESPONSE_QUOTA = 0x20
    EDIT_ANY_AUTO_RESPONSE = 0x40
    DELETE_ANY_AUTO_RESPONSE = 0x80
    VIEW_SETTINGS = 0x100
    MANAGE_SETTINGS = 0x200
    EXEC_PURGE_CMD = 0x400


DEFAULT_PERMISSIONS = (
    Permission.VIEW_PUBLIC_LOGS | Permission.ADD_AUTO_RESPONSE | Permission.VIEW_SETTINGS
)
