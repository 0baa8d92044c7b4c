import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { SLUG } from '../handlers/handler.dto';

/** `POST /api/v1/connectors/:id/links`: link an existing endpoint of the tenant by hand. */
export const ENDPOINT_KINDS = ['inbound', 'outbound'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export class LinkEndpointDto {
  @ApiProperty({ enum: ENDPOINT_KINDS, example: 'outbound' })
  @IsIn(ENDPOINT_KINDS)
  endpointKind: EndpointKind;

  @ApiProperty({ format: 'uuid', description: 'an inbound or outbound endpoint of the tenant' })
  @IsUUID()
  endpointId: string;

  @ApiPropertyOptional({
    example: 'customers',
    description:
      'the template slot the endpoint fills: one the connector’s kind declares for that ' +
      'direction; optional when the kind declares exactly one. The endpoint’s code (path ' +
      'for inbound) becomes `<technicalPrefix>-<codeSuffix>`.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG, { message: 'codeSuffix must be a lowercase slug (a-z, 0-9, _ and -)' })
  codeSuffix?: string;
}
