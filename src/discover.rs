//! Finding the Dockerfiles under the paths a user gives.
