import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import type { RecordData } from '@app/core';

/** `POST /records/:model` and `PUT /records/:model/:id`: the record's whole data document. */
export class SaveRecordDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { number: 42, title: 'Crash on save', state: 'open' },
    description:
      'The data document (a JSON object). Dotted keys (`customer.email`) become nested ' +
      'objects, as rule assignments write them. PUT replaces the data as a whole.',
  })
  @IsObject()
  data: RecordData;
}
