import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { OutboundEndpointResponse } from './outbound-endpoint.response';
import type { OutboundEndpointView } from './outbound-endpoint.view';

/** Longest rotation window: long enough for a slow partner, short enough to be noticed. */
export const MAX_OVERLAP_SECONDS = 30 * 86_400;
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** `POST /outbound-endpoints/:id/rotate-secret`. */
export class RotateSigningSecretDto {
  @ApiPropertyOptional({
    description:
      'the new secret (write-only; a whsec_ secret for standard-webhooks); generated in the ' +
      "scheme's encoding when omitted",
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  secret?: string;

  @ApiPropertyOptional({
    description:
      'how long the old secret keeps signing beside the new one; 0 drops it at once. ' +
      'Plain (untimestamped) hmac holds one signature, so it accepts only 0.',
    default: DEFAULT_OVERLAP_SECONDS,
    minimum: 0,
    maximum: MAX_OVERLAP_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export interface RotatedSigningSecretView {
  endpoint: OutboundEndpointView;
  secret: string;
  previousSecretExpiresAt: string | null;
}

/** The rotation's answer: the only time the new secret is ever shown. */
export class RotatedSigningSecretResponse implements RotatedSigningSecretView {
  @ApiProperty({ type: OutboundEndpointResponse })
  endpoint: OutboundEndpointResponse;

  @ApiProperty({
    description: 'the new signing secret, shown this once; hand it to the receivers',
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  })
  secret: string;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'until when the old secret signs too; null when it was dropped at once',
  })
  previousSecretExpiresAt: string | null;
}
