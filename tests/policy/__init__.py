"""Tests of the policy filter, the customer risk scan and their rule packs."""
