"""Secure-by-default AWS CDK constructs for Amazon ElastiCache."""
