"""What the recruitment stage does when billing reports on a contract's bill or refund, and when the
nightly passports feed reports that a worker the office is bringing has arrived or that a worker in
her guarantee period has left the kingdom for good."""

from django.dispatch import receiver

from musaned.billing.signals import bill_expired, bill_paid, refund_completed
from musaned.registry.signals import worker_arrived, worker_exited

from . import delivery
from .models import Contract, RequestState


def _contract_of(bill) -> Contract | None:
    if bill.subject_type.model_class() is not Contract:
        return None
    return Contract.objects.select_related("request").filter(pk=bill.subject_id).first()


@receiver(bill_paid, dispatch_uid="recruitment.bill_paid")
def hold_payment_in_trust(sender, bill, **kwargs) -> None:
    contract = _contract_of(bill)
    if contract is not None:
        delivery.contract_record_payment(contract=contract)


@receiver(bill_expired, dispatch_uid="recruitment.bill_expired")
def tell_of_lapsed_bill(sender, bill, **kwargs) -> None:
    if _contract_of(bill) is not None:
        delivery.contract_record_bill_expiry(bill=bill)


@receiver(refund_completed, dispatch_uid="recruitment.refund_completed")
def tell_of_refund(sender, refund, **kwargs) -> None:
    if _contract_of(refund.bill) is not None:
        delivery.contract_record_refund(refund=refund)


def _contracts_of_worker(passport_number: str, state: str):
    """The live contracts of the reported worker whose case is in `state`."""
    return Contract.objects.filter(
        cv__passport_number=passport_number, worker_declined_at__isnull=True, request__state=state
    ).select_related("cv", "request__household__user")


@receiver(worker_arrived, dispatch_uid="recruitment.worker_arrived")
def advance_case_on_arrival(sender, passport_number, status_date, **kwargs) -> None:
    for contract in _contracts_of_worker(passport_number, RequestState.IN_PROCESS):
        delivery.arrival_from_passports(contract=contract, on=status_date)


@receiver(worker_exited, dispatch_uid="recruitment.worker_exited")
def start_return_on_final_exit(sender, passport_number, status_date, **kwargs) -> None:
    for contract in _contracts_of_worker(passport_number, RequestState.IN_GUARANTEE):
        delivery.guarantee_return_from_passports(contract=contract, exit_on=status_date)
