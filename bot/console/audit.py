"""The audit log: every change made through the console or a command, with who and when."""

from datetime import datetime

from storage.models import AuditEntry


def record(session, actor: str, action: str, target: str, now: datetime,
           **detail) -> None:
    """Add one entry in the caller's transaction, so the change and its record commit together."""
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target,
                           detail=detail or None))


# What each action is called on the audit page.
ACTIONS = {
    "login.locked": "Khoá tài khoản (đăng nhập sai nhiều lần)",
    "officer.create": "Tạo tài khoản",
    "officer.update": "Sửa tài khoản",
    "officer.password": "Đổi mật khẩu",
    "officer.unlock": "Mở khoá tài khoản",
    "recognition.approve": "Công nhận",
    "recognition.return": "Trả lại",
    "unit.import_admin": "Nhập đơn vị hành chính",
    "unit.import_file": "Nhập đơn vị từ tệp",
    "unit.move": "Chuyển đơn vị",
    "unit.merge": "Sáp nhập đơn vị",
    "broadcast.create": "Gửi thông báo",
    "broadcast.cancel": "Dừng thông báo",
    "broadcast.test": "Gửi thử thông báo",
    "campaign.create": "Tạo chiến dịch",
    "course.create": "Tạo khoá học",
    "course.update": "Sửa khoá học",
}
