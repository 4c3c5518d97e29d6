"""The pure core: rules, state machines, markings and the audit chain.

Nothing here imports Django or any adapter (an import-linter contract checks it), and nothing here
reads the clock: every function that depends on time takes ``now`` as an argument.
"""
