//! Linear combinations with their assigned values: the currency of the gadgets.
//!
//! Additions and multiplications by constants are free in R1CS; keeping values as explicit
//! [`LinearCombination`]s (instead of one symbolic variable per operation) keeps both the
//! constraint count and the synthesis overhead down. Values are `None` while synthesizing for
//! the setup, when no witness is assigned.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::{
    fields::fp::{AllocatedFp, FpVar},
    prelude::{Boolean, GR1CSVar},
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// A linear combination of circuit variables and its value.
#[derive(Clone, Debug)]
pub struct Linear {
    lc: LinearCombination<Fr>,
    value: Option<Fr>,
}

impl Linear {
    /// The constant `c`.
    pub fn constant(c: Fr) -> Self {
        let lc = if c == Fr::ZERO {
            LinearCombination::zero()
        } else {
            LinearCombination(vec![(c, Variable::One)])
        };
        Self { lc, value: Some(c) }
    }

    /// A single variable with its (optional) value.
    pub fn variable(variable: Variable, value: Option<Fr>) -> Self {
        Self {
            lc: variable.into(),
            value,
        }
    }

    /// A combination of raw `(coefficient, variable)` terms (duplicates are merged).
    pub fn from_terms(terms: Vec<(Fr, Variable)>, value: Option<Fr>) -> Self {
        let mut lc = LinearCombination(terms);
        lc.compactify();
        lc.retain(|(coeff, variable)| *coeff != Fr::ZERO && *variable != Variable::Zero);
        Self { lc, value }
    }

    /// The value of an [`FpVar`] as a linear combination.
    pub fn from_var(var: &FpVar<Fr>) -> Self {
        match var {
            FpVar::Constant(c) => Self::constant(*c),
            FpVar::Var(allocated) => Self::variable(allocated.variable, allocated.value().ok()),
        }
    }

    /// A boolean as 0 or 1.
    pub fn from_bool(bit: &Boolean<Fr>) -> Self {
        Self {
            lc: bit.lc(),
            value: bit.value().ok().map(Fr::from),
        }
    }

    /// `sum_i 2^i * bits[i]`: the little-endian integer of `bits` (no range or field check).
    pub fn from_bits_le(bits: &[Boolean<Fr>]) -> Self {
        let mut power = Fr::ONE;
        let mut out = Self::constant(Fr::ZERO);
        for bit in bits {
            out = out.add_scaled(power, &Self::from_bool(bit));
            power.double_in_place();
        }
        out
    }

    /// The assigned value, if any.
    pub fn value(&self) -> Option<Fr> {
        self.value
    }

    /// The linear combination.
    pub fn lc(&self) -> LinearCombination<Fr> {
        self.lc.clone()
    }

    /// `self + other`.
    pub fn add(&self, other: &Self) -> Self {
        self.add_scaled(Fr::ONE, other)
    }

    /// `self - other`.
    pub fn sub(&self, other: &Self) -> Self {
        self.add_scaled(-Fr::ONE, other)
    }

    /// `self + c * other`.
    pub fn add_scaled(&self, c: Fr, other: &Self) -> Self {
        let mut lc = &self.lc + (c, &other.lc);
        lc.retain(|(coeff, _)| *coeff != Fr::ZERO);
        Self {
            lc,
            value: self.value.zip(other.value).map(|(a, b)| a + c * b),
        }
    }

    /// `self + c`.
    pub fn add_constant(&self, c: Fr) -> Self {
        self.add(&Self::constant(c))
    }

    /// `c * self`.
    pub fn scale(&self, c: Fr) -> Self {
        Self::constant(Fr::ZERO).add_scaled(c, self)
    }

    /// The value as an [`FpVar`] (a constant if the combination is constant, else one
    /// symbolic variable; no constraint).
    pub fn to_var(&self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        if self.lc.iter().all(|(_, v)| *v == Variable::One) {
            let c = self.lc.iter().map(|(coeff, _)| *coeff).sum();
            return Ok(FpVar::Constant(c));
        }
        let lc = self.lc.clone();
        let variable = cs.new_lc(|| lc)?;
        Ok(FpVar::Var(AllocatedFp::new(
            self.value,
            variable,
            cs.clone(),
        )))
    }
}

/// Allocates a witness with `value`.
pub fn witness(cs: &ConstraintSystemRef<Fr>, value: Option<Fr>) -> Result<Linear, SynthesisError> {
    let variable = cs.new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
    Ok(Linear::variable(variable, value))
}

/// `a * b` as a new witness: one constraint.
pub fn mul(cs: &ConstraintSystemRef<Fr>, a: &Linear, b: &Linear) -> Result<Linear, SynthesisError> {
    let product = witness(cs, a.value.zip(b.value).map(|(x, y)| x * y))?;
    enforce_product(cs, a, b, &product)?;
    Ok(product)
}

/// Enforces `a * b = c`: one constraint.
pub fn enforce_product(
    cs: &ConstraintSystemRef<Fr>,
    a: &Linear,
    b: &Linear,
    c: &Linear,
) -> Result<(), SynthesisError> {
    cs.enforce_r1cs_constraint(|| a.lc(), || b.lc(), || c.lc())
}

/// Enforces `a = b`: one constraint.
pub fn enforce_equal(
    cs: &ConstraintSystemRef<Fr>,
    a: &Linear,
    b: &Linear,
) -> Result<(), SynthesisError> {
    let one = Linear::constant(Fr::ONE);
    enforce_product(cs, &a.sub(b), &one, &Linear::constant(Fr::ZERO))
}
