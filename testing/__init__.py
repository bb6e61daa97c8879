"""Builders and real peers shared by the test suite (tests/) and the benchmarks (bench/).

Not product code: no app imports it, it is not an installed app, and the Docker image
leaves it out (.dockerignore). Importing it needs the test requirements (factory_boy)."""
