/** Badge colours dark enough for white 11 px text on them (≥ 4.5:1; Mantine's orange.9 and green.9 are ≈ 4.3:1). */
export const ATTENTION = '#b03a00';
export const OK = '#1f6b30';
