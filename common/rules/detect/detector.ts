import { LevelShift } from './level-shift.js';
import { type Season, SeasonProfile } from './season.js';
import { TailScore } from './tail-score.js';

/** Which way a deviation must go to count: above the expected band, below it, or either. */
export type Direction = 'up' | 'down' | 'both';

/** What the detector is told; every key has a default that needs no knowledge of the series. */
export interface DetectorOptions {
  direction: Direction;
  season: Season;
  /** Samples seen before the detector may call anything anomalous. */
  warmupSamples: number;
  /** The span of the baseline's EWMA (alpha = 2/(N+1)): how many samples "normal" is made of. */
  baselineSamples: number;
  /** A shift that lasts this many samples in a row becomes the new baseline; 0 never absorbs one. */
  absorbAfter: number;
  /** Fires when the score reaches this (0..1): the share of the series' own past deviations that were smaller. */
  minScore: number;
  /** A floor on the spread in the series' unit; the floor is otherwise half the series' own resolution. */
  minSpread: number;
}

/** The detector's verdict on one sample. */
export interface DetectorStep {
  /** The value expected (level plus the season's offset). */
  expected: number;
  /** One spread (a robust standard deviation) around `expected`. */
  spread: number;
  /** Spreads from expected, signed: the sample's or, when larger, that of the mean of the last 3. */
  z: number;
  /** 0..1: how unusual |z| is for this series. */
  score: number;
  /** Whether the sample is an anomaly (warm, score >= minScore, |z| >= 3, in the watched direction). */
  anomalous: boolean;
  /** The season bucket the sample fell in, -1 without a season. */
  bucket: number;
}

/** |z| is clipped to this in updates, so an outlier moves the baseline no more than 3 spreads' worth. */
const CLIP = 3;
/** Below this |z| nothing is an anomaly, however rare the series makes it. */
const MIN_Z = 3;
/** Samples learnt with plain (unclipped) updates before the spread means anything. */
const UNCLIPPED = 10;
/** The short window whose mean can flag a sustained small deviation before any single sample does. */
const SHORT = 3;
/** How long the tail score remembers, in samples. */
const TAIL_MEMORY = 5000;
/** How far one sample moves its season bucket, as a share of its clipped residual. */
const SEASON_RATE = 0.05;

/**
 * A robust, two-sided baseline detector for one series: level and spread are EWMAs updated with clipped
 * residuals (an outlier cannot drag them), an optional daily or weekly profile is added to the level, a
 * persistent shift is absorbed after `absorbAfter` samples (its deviations then leave the score's history),
 * and the score compares each deviation with the series' own history of deviations. Pure: time comes from
 * the samples.
 */
export class Detector {
  private n = 0;
  private level = 0;
  private variance = 0;
  private resolution = Number.POSITIVE_INFINITY;
  private previous = Number.NaN;
  private readonly alpha: number;
  private readonly season: SeasonProfile | undefined;
  private readonly shift: LevelShift;
  private readonly tail = new TailScore(TAIL_MEMORY);
  private readonly recent = new Float64Array(SHORT);
  private recentCount = 0;
  /** The verdict on the latest sample (reused: read it before the next call). */
  readonly last: DetectorStep = { expected: Number.NaN, spread: Number.NaN, z: 0, score: 0, anomalous: false, bucket: -1 };

  constructor(private readonly options: DetectorOptions) {
    this.alpha = 2 / (options.baselineSamples + 1);
    this.season = options.season === 'none' ? undefined : new SeasonProfile(options.season, SEASON_RATE);
    this.shift = new LevelShift(options.absorbAfter);
  }

  /** Judges one sample at `at` (epoch ms), then learns from it. */
  next(at: number, x: number): DetectorStep {
    if (x !== this.previous && !Number.isNaN(this.previous)) this.resolution = Math.min(this.resolution, Math.abs(x - this.previous));
    this.previous = x;
    const bucket = this.season ? this.season.bucket(at) : -1;
    const offset = this.season ? this.season.offset(at) : 0;
    if (this.n === 0) this.level = x - offset;
    const expected = this.level + offset;
    const spread = Math.max(Math.sqrt(this.variance), this.floor());
    const residual = x - expected;
    const z = residual / spread;
    const zs = this.shortZ(residual, z, spread);
    const score = this.tail.next(Math.abs(zs));
    const out = this.last;
    out.expected = expected;
    out.spread = spread;
    out.z = zs;
    out.score = score;
    out.bucket = bucket;
    out.anomalous = this.n >= this.options.warmupSamples && Math.abs(zs) >= MIN_Z && score >= this.options.minScore && this.watched(zs);
    this.learn(x - offset, z, spread, at);
    return out;
  }

  /** The spread floor: half the smallest step the series has taken (its resolution), or minSpread. */
  private floor(): number {
    const half = Number.isFinite(this.resolution) ? this.resolution / 2 : 0;
    return Math.max(half, this.options.minSpread, 1e-9);
  }

  /** z of the sample, or of the mean of the last {@link SHORT} residuals when that is further out. */
  private shortZ(residual: number, z: number, spread: number): number {
    this.recent[this.recentCount++ % SHORT] = residual;
    if (this.recentCount < SHORT) return z;
    const zm = ((this.recent[0]! + this.recent[1]! + this.recent[2]!) / SHORT / spread) * Math.sqrt(SHORT);
    return Math.abs(zm) > Math.abs(z) ? zm : z;
  }

  private watched(z: number): boolean {
    const d = this.options.direction;
    return d === 'both' || (d === 'up' ? z > 0 : z < 0);
  }

  private learn(deseasoned: number, z: number, spread: number, at: number): void {
    this.n++;
    if (this.n > this.options.warmupSamples) {
      const tail = this.tail;
      const level = this.shift.next(z, deseasoned, tail.lastBin, tail.lastWeight, tail.epoch);
      if (!Number.isNaN(level)) {
        this.level = level;
        tail.forget(this.shift.bins, this.shift.weights, this.shift.length, this.shift.epoch);
        return;
      }
    }
    const a = Math.max(this.alpha, 1 / this.n);
    const c = this.n > UNCLIPPED ? Math.max(-CLIP, Math.min(CLIP, z)) : z;
    const step = c * spread;
    this.level += a * step;
    this.variance = (1 - a) * this.variance + a * step * step;
    if (this.season) this.season.learn(at, step);
  }

  /** The season bucket in words ("Tuesday 14:00 UTC"), or "" without a season. */
  bucketLabel(bucket: number): string {
    return this.season && bucket >= 0 ? this.season.label(bucket) : '';
  }
}
