from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_IMAGE_BYTES = 5 * 1024 * 1024


def validate_image_size(upload) -> None:
    """Photos in registers (ORG-12 room photos, …) are at most 5 MB."""
    if upload and upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("文件过大（%(size)s MB），不能超过 %(max)s MB")
            % {"size": round(upload.size / 1024 / 1024, 1), "max": MAX_IMAGE_BYTES // 1024 // 1024}
        )
