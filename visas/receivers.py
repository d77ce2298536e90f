"""What the visa app does when billing reports on a bill or refund whose subject is a visa."""

from django.dispatch import receiver

from musaned.billing.signals import bill_expired, bill_paid, refund_completed

from . import services
from .models import Visa


def _for_a_visa(bill) -> bool:
    return bill.subject_type.model_class() is Visa


@receiver(bill_paid, dispatch_uid="visas.bill_paid")
def start_review_on_payment(sender, bill, **kwargs) -> None:
    if _for_a_visa(bill):
        services.visa_record_payment(bill=bill)


@receiver(bill_expired, dispatch_uid="visas.bill_expired")
def withdraw_on_expiry(sender, bill, **kwargs) -> None:
    if _for_a_visa(bill):
        services.visa_withdraw_unpaid(bill=bill)


@receiver(refund_completed, dispatch_uid="visas.refund_completed")
def record_refund(sender, refund, **kwargs) -> None:
    if _for_a_visa(refund.bill):
        services.visa_record_refund(refund=refund)
