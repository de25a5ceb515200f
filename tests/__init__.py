import os

# Cheap Argon2 parameters for the suite (set before app.auth.security is imported).
os.environ["PASSWORD_HASH_COST"] = "test"
