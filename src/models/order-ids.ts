import { randomBytes } from 'node:crypto';

// Crockford's alphabet leaves out I, L, O and U so that ids read aloud or retyped by hand do not get confused.
const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_PART_LENGTH = 12;

export const ORDER_ID_PATTERN = /^ORD-[0-9A-HJKMNP-TV-Z]{12}$/;
export const BACKORDER_ID_PATTERN = /^BO-[0-9A-HJKMNP-TV-Z]{12}$/;

function randomCrockford(length: number): string {
  // 256 is a multiple of 32, so taking each byte modulo 32 keeps every character equally likely (60 random bits in all).
  return Array.from(randomBytes(length), (byte) => CROCKFORD_BASE32[byte % 32]).join('');
}

export function newOrderId(): string {
  return `ORD-${randomCrockford(RANDOM_PART_LENGTH)}`;
}

export function newBackorderId(): string {
  return `BO-${randomCrockford(RANDOM_PART_LENGTH)}`;
}
